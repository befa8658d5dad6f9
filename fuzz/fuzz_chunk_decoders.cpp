// libFuzzer target: the in-process chunk decoders (io/chunk_filters.h: deflate, shuffle, LZ4, Blosc, bitshuffle).
// Input: [pipeline][element size code][element count, u16 LE][filter mask] then the stored chunk.
#include <stdexcept>
#include <vector>

#include "io/chunk_filters.h"

namespace {

using xpulse::io::FilterSpec;

std::vector<FilterSpec> pipeline(std::uint8_t which, unsigned elem_size) {
  const FilterSpec deflate{1, {6}, "deflate"}, shuffle{2, {elem_size}, "shuffle"}, lz4{32004, {0}, "lz4"},
      blosc{32001, {2, 2, elem_size, 0, 5, 1, 1}, "blosc"};
  const auto bitshuffle = [&](unsigned codec) { return FilterSpec{32008, {0, 3, elem_size, 0, codec}, "bitshuffle"}; };
  switch (which % 8) {
    case 0: return {deflate};
    case 1: return {shuffle, deflate};
    case 2: return {lz4};
    case 3: return {blosc};
    case 4: return {bitshuffle(0)};
    case 5: return {bitshuffle(2)};
    case 6: return {bitshuffle(3)};
    default: return {shuffle};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  const unsigned elem_size = 1u << (data[1] % 4);
  const std::size_t elements = data[2] | (static_cast<std::size_t>(data[3]) << 8);
  std::vector<std::uint8_t> chunk(data + 5, data + size), scratch;
  try {
    xpulse::io::decode_chunk(pipeline(data[0], elem_size), data[4], elem_size, elements * elem_size, chunk, scratch);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
