// libFuzzer target: run records as JSON (runtime/run_record_json.h), whose metrics, inputs and outputs are JSON
// text read back from a run store that any process (or a damaged database) may have written.
#include <string>

#include "runtime/run_record_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Three texts separated by NUL bytes: metrics, inputs, outputs.
  const std::string text(reinterpret_cast<const char*>(data), size);
  xpulse::runtime::RunRecord r;
  const std::size_t a = text.find('\0'), b = a == std::string::npos ? a : text.find('\0', a + 1);
  r.metrics = text.substr(0, a);
  r.inputs = a == std::string::npos ? "" : text.substr(a + 1, b == std::string::npos ? b : b - a - 1);
  r.outputs = b == std::string::npos ? "" : text.substr(b + 1);
  r.command = r.message = text;
  (void)xpulse::runtime::run_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
