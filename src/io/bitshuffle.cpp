#include "io/bitshuffle.h"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace xpulse::io {
namespace {

constexpr std::size_t kBlockedMultiple = 8;      // block sizes are multiples of 8 elements
constexpr std::size_t kTargetBlockBytes = 8192;  // the library's default block: ~8 KiB, at least 128 elements
constexpr std::size_t kMinBlock = 128;

std::size_t default_block_size(std::size_t elem_size) {
  const std::size_t b = (kTargetBlockBytes / elem_size) / kBlockedMultiple * kBlockedMultiple;
  return b > kMinBlock ? b : kMinBlock;
}

std::uint64_t read_be(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// Transposes an 8x8 bit matrix held in a uint64 (byte r = row r, bit c = column c).
inline std::uint64_t transpose8x8(std::uint64_t x) {
  std::uint64_t t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
  x = x ^ t ^ (t << 7);
  t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
  x = x ^ t ^ (t << 14);
  t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
  return x ^ t ^ (t << 28);
}

}  // namespace

void bitunshuffle_block(const std::uint8_t* in, std::uint8_t* out, std::size_t n, std::size_t elem_size) {
  const std::size_t row = n / 8;  // bytes per bit row
  for (std::size_t j = 0; j < elem_size; ++j) {
    const std::uint8_t* rows = in + j * 8 * row;
    for (std::size_t g = 0; g < row; ++g) {
      std::uint64_t x = 0;
      for (int k = 0; k < 8; ++k) x |= static_cast<std::uint64_t>(rows[k * row + g]) << (8 * k);
      x = transpose8x8(x);  // byte m now holds byte j of element 8g + m
      std::uint8_t* o = out + (8 * g) * elem_size + j;
      for (std::size_t m = 0; m < 8; ++m) o[m * elem_size] = static_cast<std::uint8_t>(x >> (8 * m));
    }
  }
}

void bitshuffle_decode(const std::uint8_t* in, std::size_t in_bytes, std::uint8_t* out, std::size_t out_bytes,
                       std::size_t elem_size, std::size_t block_size, BitshuffleCodec codec) {
  if (elem_size == 0 || out_bytes % elem_size != 0) throw std::runtime_error("bitshuffle: bad element size");
  const std::uint8_t* p = in;
  const std::uint8_t* end = in + in_bytes;
  if (codec != BitshuffleCodec::none) {
    if (in_bytes < 12) throw std::runtime_error("bitshuffle: payload shorter than its header");
    const std::uint64_t total = read_be(p, 8);
    if (total != out_bytes) {
      throw std::runtime_error("bitshuffle: header says " + std::to_string(total) + " bytes, chunk holds " +
                               std::to_string(out_bytes));
    }
    block_size = read_be(p + 8, 4) / elem_size;
    p += 12;
  }
  if (block_size == 0) block_size = default_block_size(elem_size);
  if (block_size % kBlockedMultiple != 0) throw std::runtime_error("bitshuffle: block size not a multiple of 8");

  const std::size_t n = out_bytes / elem_size;
  // A block never holds more than the chunk: a damaged header's block size must not size the buffer.
  std::vector<std::uint8_t> tmp(codec == BitshuffleCodec::none ? 0 : std::min(block_size, n) * elem_size);
  auto do_block = [&](std::size_t first, std::size_t count) {
    const std::size_t bytes = count * elem_size;
    const std::uint8_t* shuffled = p;
    if (codec == BitshuffleCodec::none) {
      if (static_cast<std::size_t>(end - p) < bytes) throw std::runtime_error("bitshuffle: payload truncated");
      p += bytes;
    } else {
      if (end - p < 4) throw std::runtime_error("bitshuffle: payload truncated");
      const std::size_t csize = read_be(p, 4);
      p += 4;
      if (static_cast<std::size_t>(end - p) < csize) throw std::runtime_error("bitshuffle: payload truncated");
      std::size_t got = 0;
      if (codec == BitshuffleCodec::lz4) {
        const int r = LZ4_decompress_safe(reinterpret_cast<const char*>(p), reinterpret_cast<char*>(tmp.data()),
                                          static_cast<int>(csize), static_cast<int>(bytes));
        got = r < 0 ? 0 : static_cast<std::size_t>(r);
      } else {
        const std::size_t r = ZSTD_decompress(tmp.data(), bytes, p, csize);
        got = ZSTD_isError(r) ? 0 : r;
      }
      if (got != bytes) throw std::runtime_error("bitshuffle: a compressed block does not decode");
      p += csize;
      shuffled = tmp.data();
    }
    bitunshuffle_block(shuffled, out + first * elem_size, count, elem_size);
  };
  std::size_t done = 0;
  for (; done + block_size <= n; done += block_size) do_block(done, block_size);
  const std::size_t last = (n - done) / kBlockedMultiple * kBlockedMultiple;
  if (last > 0) {
    do_block(done, last);
    done += last;
  }
  const std::size_t leftover = (n - done) * elem_size;  // < 8 elements, stored as they are
  if (static_cast<std::size_t>(end - p) < leftover) throw std::runtime_error("bitshuffle: payload truncated");
  if (leftover > 0) std::memcpy(out + done * elem_size, p, leftover);
}

}  // namespace xpulse::io
