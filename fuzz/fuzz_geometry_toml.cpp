// libFuzzer target: the TOML geometry reader and its validation (io/geometry_file.h) on arbitrary text.
#include "core/error.h"
#include "fuzz_input.h"
#include "io/geometry_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const xpulse::fuzz::MemoryFile file(data, size);
  if (!file.ok()) return 0;
  try {
    (void)xpulse::io::load_geometry("", file.path(), 48, 64);
  } catch (const xpulse::Error&) {
  }
  return 0;
}
