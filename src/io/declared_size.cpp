#include "io/declared_size.h"

#include <cstdlib>
#include <limits>

namespace xpulse::io {
namespace {

// Deflate's best ratio is ~1032:1 and LZ4's ~255:1; unallocated chunks cost nothing, hence the margin.
constexpr std::size_t kDefaultMaxExpansion = 10000;
constexpr std::size_t kAlwaysPlausibleBytes = std::size_t{256} << 20;

std::size_t max_expansion() {
  const char* text = std::getenv("XPULSE_MAX_EXPANSION");
  if (text == nullptr || *text == '\0') return kDefaultMaxExpansion;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (*end != '\0' || value == 0) {
    throw InvalidArgument(fmt::format("XPULSE_MAX_EXPANSION must be a positive integer, got '{}'", text));
  }
  return static_cast<std::size_t>(value);
}

}  // namespace

void check_declared_size(std::span<const std::size_t> dims, std::size_t element_bytes, std::size_t file_bytes,
                         const std::string& dataset, const std::string& path) {
  // Saturating: a corrupt extent must not wrap around.
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  std::size_t bytes = element_bytes;
  for (std::size_t d : dims) bytes = d != 0 && bytes > kMax / d ? kMax : bytes * d;
  if (dims.empty() || bytes <= kAlwaysPlausibleBytes) return;
  const std::size_t ratio = max_expansion();
  const std::size_t limit = file_bytes > kMax / ratio ? kMax : file_bytes * ratio;
  if (bytes > limit) {
    throw IoError(fmt::format(
        "dataset '{}' in '{}' declares [{}] elements ({:.3g} GB) in a file of {} bytes, more than {}x its size: "
        "damaged file? (XPULSE_MAX_EXPANSION raises the limit)",
        dataset, path, fmt::join(dims, ", "), static_cast<double>(bytes) / 1e9, file_bytes, ratio));
  }
}

}  // namespace xpulse::io
