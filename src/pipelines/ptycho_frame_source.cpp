#include "pipelines/ptycho_frame_source.h"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "pipelines/ptycho_input.h"

namespace xpulse::pipelines {

CxiFrameSource::CxiFrameSource(const std::string& path, std::size_t first, std::size_t n, unsigned threads)
    : reader_(path, kCxiData, io::ReaderOptions{threads, false}), first_(first), n_(n) {}

void CxiFrameSource::load(std::size_t first, std::size_t count, float* out) {
  const std::size_t offset[3] = {first_ + first, 0, 0}, extent[3] = {count, n_, n_};
  reader_.read<float>(offset, extent, out);
  loaded_ += count;
}

std::size_t parse_bytes(const std::string& text, const std::string& option) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'B') unit.pop_back();
  if (!unit.empty() && unit.back() == 'I') unit.pop_back();  // GiB reads as G
  double scale = 0;
  if (unit.empty()) scale = 1;
  else if (unit == "K") scale = 1024.0;
  else if (unit == "M") scale = 1024.0 * 1024;
  else if (unit == "G") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T") scale = 1024.0 * 1024 * 1024 * 1024;
  if (used == 0 || scale == 0 || !(value > 0) || !std::isfinite(value)) {
    throw InvalidArgument(fmt::format("{} '{}' is not a size: give bytes, or a number with K, M, G or T (1024s)",
                                      option, text));
  }
  return static_cast<std::size_t>(value * scale);
}

}  // namespace xpulse::pipelines
