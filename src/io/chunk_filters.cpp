#include "io/chunk_filters.h"

#include <blosc.h>
#include <lz4.h>
#if XPULSE_WITH_LIBDEFLATE
#include <libdeflate.h>
#else
#include <zlib.h>
#endif

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "io/bitshuffle.h"

namespace xpulse::io {
namespace {

constexpr int kDeflate = 1;
constexpr int kShuffle = 2;
constexpr int kBlosc = 32001;
constexpr int kLz4 = 32004;
constexpr int kBitshuffle = 32008;

std::uint64_t read_be(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// No stage below deflate in a pipeline expands a chunk much: a stream that inflates past this is damaged (or a bomb).
std::size_t inflate_limit(std::size_t expected) { return 2 * expected + (std::size_t{1} << 20); }

[[noreturn]] void too_large(std::size_t limit) {
  throw std::runtime_error("deflate stream decodes to more than " + std::to_string(limit) + " bytes");
}

#if XPULSE_WITH_LIBDEFLATE
// libdeflate inflates 1.8-2.4x faster than zlib (build/bench/xpulse_bench_inflate), with the same checks (the zlib
// header and Adler-32). One decompressor per thread, kept for the thread's life.
libdeflate_decompressor* decompressor() {
  struct Free {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
  };
  thread_local std::unique_ptr<libdeflate_decompressor, Free> d(libdeflate_alloc_decompressor());
  if (!d) throw std::runtime_error("libdeflate cannot allocate a decompressor");
  return d.get();
}

// A zlib stream does not store its decoded size: inflate into `expected` bytes, growing the buffer if a stage
// below deflate made the intermediate data larger.
void inflate_chunk(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out, std::size_t expected) {
  const std::size_t limit = inflate_limit(expected);
  out.resize(expected > 0 ? expected : 64);
  while (true) {
    std::size_t got = 0;
    const libdeflate_result rc =
        libdeflate_zlib_decompress(decompressor(), in.data(), in.size(), out.data(), out.size(), &got);
    if (rc == LIBDEFLATE_SUCCESS) {
      out.resize(got);
      return;
    }
    if (rc != LIBDEFLATE_INSUFFICIENT_SPACE) throw std::runtime_error("deflate stream does not decode (bad data)");
    if (out.size() >= limit) too_large(limit);
    out.resize(std::min(out.size() * 2, limit));
  }
}
#else
// zlib, where libdeflate was not found at configure time (CMake says so).
void inflate_chunk(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out, std::size_t expected) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw std::runtime_error("zlib cannot initialise");
  out.resize(expected > 0 ? expected : 64);
  const std::size_t limit = inflate_limit(expected);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (true) {
    z.next_out = out.data() + z.total_out;
    z.avail_out = static_cast<uInt>(out.size() - z.total_out);
    rc = inflate(&z, Z_FINISH);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && z.avail_out == 0 && out.size() < limit) {
      out.resize(std::min(out.size() * 2, limit));
      continue;
    }
    break;
  }
  const std::size_t got = z.total_out;
  const std::string reason = z.msg != nullptr ? z.msg : zError(rc);
  inflateEnd(&z);
  if (rc == Z_BUF_ERROR && out.size() >= limit) too_large(limit);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate stream does not decode (zlib: " + reason + ")");
  out.resize(got);
}
#endif

// Elements of 2, 4 or 8 bytes are put back together as little-endian words: loops the compiler vectorises, where
// the byte-wise scatter ran at a fraction of inflate's speed. False where this does not apply.
template <class Word, std::size_t Bytes>
void gather_bytes(const std::uint8_t* in, std::uint8_t* out, std::size_t n) {
  const std::uint8_t* plane[Bytes];
  for (std::size_t j = 0; j < Bytes; ++j) plane[j] = in + j * n;
  for (std::size_t i = 0; i < n; ++i) {
    Word w = 0;
    for (std::size_t j = 0; j < Bytes; ++j) w |= static_cast<Word>(plane[j][i]) << (8 * j);
    std::memcpy(out + i * Bytes, &w, Bytes);
  }
}

bool unshuffle_words(const std::uint8_t* in, std::uint8_t* out, std::size_t n, std::size_t elem_size) {
  if constexpr (std::endian::native != std::endian::little) return false;
  switch (elem_size) {
    case 2: gather_bytes<std::uint16_t, 2>(in, out, n); return true;
    case 4: gather_bytes<std::uint32_t, 4>(in, out, n); return true;
    case 8: gather_bytes<std::uint64_t, 8>(in, out, n); return true;
    default: return false;
  }
}

// Inverse of HDF5's byte shuffle: byte j of element i was stored at j * n + i; trailing odd bytes stay put.
void unshuffle(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out, std::size_t elem_size) {
  out.resize(in.size());
  const std::size_t n = elem_size > 1 ? in.size() / elem_size : 0;
  if (n <= 1) {
    out = in;
    return;
  }
  if (!unshuffle_words(in.data(), out.data(), n, elem_size)) {
    for (std::size_t j = 0; j < elem_size; ++j) {
      const std::uint8_t* src = in.data() + j * n;
      std::uint8_t* dst = out.data() + j;
      for (std::size_t i = 0; i < n; ++i) dst[i * elem_size] = src[i];
    }
  }
  const std::size_t tail = in.size() - n * elem_size;
  std::memcpy(out.data() + n * elem_size, in.data() + n * elem_size, tail);
}

// HDF5 LZ4 filter payload: u64 BE original size, u32 BE block size, then per block u32 BE stored size + data
// (a block whose stored size equals its original size is stored uncompressed).
void decode_lz4(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out, std::size_t bytes) {
  if (in.size() < 12) throw std::runtime_error("LZ4 payload shorter than its header");
  const std::uint64_t total = read_be(in.data(), 8);
  std::uint64_t block = read_be(in.data() + 8, 4);
  if (total != bytes) throw std::runtime_error("LZ4 header gives a decoded size different from the chunk's");
  if (block == 0 && total > 0) throw std::runtime_error("LZ4 header has a zero block size");
  if (block > total) block = total;
  out.resize(bytes);
  std::size_t pos = 12, written = 0;
  while (written < total) {
    if (pos + 4 > in.size()) throw std::runtime_error("LZ4 payload truncated");
    const std::size_t stored = read_be(in.data() + pos, 4);
    pos += 4;
    const std::size_t this_block = std::min<std::uint64_t>(block, total - written);
    if (stored > in.size() - pos) throw std::runtime_error("LZ4 payload truncated");
    if (stored == this_block) {
      std::memcpy(out.data() + written, in.data() + pos, stored);
    } else {
      const int r = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data() + pos),
                                        reinterpret_cast<char*>(out.data() + written), static_cast<int>(stored),
                                        static_cast<int>(this_block));
      if (r < 0 || static_cast<std::size_t>(r) != this_block) throw std::runtime_error("LZ4 block does not decode");
    }
    pos += stored;
    written += this_block;
  }
}

void decode_blosc(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out, std::size_t bytes) {
  std::size_t nbytes = 0;
  if (in.size() < BLOSC_MIN_HEADER_LENGTH || blosc_cbuffer_validate(in.data(), in.size(), &nbytes) != 0 ||
      nbytes != bytes) {
    throw std::runtime_error("Blosc header is invalid or gives a decoded size different from the chunk's");
  }
  out.resize(bytes);
  const int r = blosc_decompress_ctx(in.data(), out.data(), bytes, 1);
  if (r < 0 || static_cast<std::size_t>(r) != bytes) throw std::runtime_error("Blosc buffer does not decode");
}

}  // namespace

bool decodable_in_process(const std::vector<FilterSpec>& pipeline) {
  for (const FilterSpec& f : pipeline) {
    if (f.id == kDeflate || f.id == kShuffle || f.id == kLz4 || f.id == kBlosc) continue;
    if (f.id == kBitshuffle) {
      const unsigned codec = f.cd_values.size() > 4 ? f.cd_values[4] : 0;
      if (codec == 0 || codec == 2 || codec == 3) continue;
    }
    return false;
  }
  return true;
}

void decode_chunk(const std::vector<FilterSpec>& pipeline, unsigned filter_mask, std::size_t elem_size,
                  std::size_t chunk_bytes, std::vector<std::uint8_t>& data, std::vector<std::uint8_t>& scratch) {
  for (std::size_t k = pipeline.size(); k-- > 0;) {
    if (filter_mask & (1u << k)) continue;
    const FilterSpec& f = pipeline[k];
    switch (f.id) {
      case kDeflate:
        inflate_chunk(data, scratch, chunk_bytes);
        break;
      case kShuffle:
        unshuffle(data, scratch, f.cd_values.empty() ? elem_size : f.cd_values[0]);
        break;
      case kLz4:
        decode_lz4(data, scratch, chunk_bytes);
        break;
      case kBlosc:
        decode_blosc(data, scratch, chunk_bytes);
        break;
      case kBitshuffle: {
        const std::size_t es = f.cd_values.size() > 2 && f.cd_values[2] ? f.cd_values[2] : elem_size;
        const std::size_t block = f.cd_values.size() > 3 ? f.cd_values[3] : 0;
        const auto codec = static_cast<BitshuffleCodec>(f.cd_values.size() > 4 ? f.cd_values[4] : 0);
        scratch.resize(chunk_bytes);
        bitshuffle_decode(data.data(), data.size(), scratch.data(), chunk_bytes, es, block, codec);
        break;
      }
      default:
        throw std::runtime_error("filter '" + f.name + "' (id " + std::to_string(f.id) +
                                 ") cannot be decoded in process");
    }
    data.swap(scratch);
  }
  if (data.size() != chunk_bytes) {
    throw std::runtime_error("stored chunk holds " + std::to_string(data.size()) + " bytes after decoding, expected " +
                             std::to_string(chunk_bytes));
  }
}

}  // namespace xpulse::io
