// Inflate of HDF5 deflate chunks (zlib streams) by zlib, libdeflate and ISA-L (igzip), on the same chunks in one
// run: the choice of decoder for io/chunk_filters.cpp. The chunks are detector-like frames, uint16 512x512
// (a smooth background with Poisson photons), byte-shuffled and compressed by zlib at levels 1 and 4, as h5py's
// gzip filter writes them. Rates are decoded bytes per second.
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include <benchmark/benchmark.h>

namespace {

constexpr std::size_t kSide = 512;
constexpr std::size_t kBytes = kSide * kSide * 2;

// A shuffled uint16 frame: low bytes first, then high bytes, as HDF5's shuffle filter stores them.
std::vector<std::uint8_t> frame() {
  std::mt19937_64 rng(7);
  std::vector<std::uint8_t> out(kBytes);
  for (std::size_t i = 0; i < kSide * kSide; ++i) {
    const double y = static_cast<double>(i / kSide) - 256.0, x = static_cast<double>(i % kSide) - 256.0;
    const double mean = 20.0 + 400.0 * std::exp(-(x * x + y * y) / 2.0e4);
    const auto v = static_cast<std::uint16_t>(std::poisson_distribution<int>(mean)(rng));
    out[i] = static_cast<std::uint8_t>(v & 0xff);
    out[kSide * kSide + i] = static_cast<std::uint8_t>(v >> 8);
  }
  return out;
}

std::vector<std::uint8_t> compressed(int level) {
  const std::vector<std::uint8_t> raw = frame();
  uLongf size = compressBound(raw.size());
  std::vector<std::uint8_t> out(size);
  if (compress2(out.data(), &size, raw.data(), raw.size(), level) != Z_OK) throw std::runtime_error("compress2");
  out.resize(size);
  return out;
}

void report(benchmark::State& state, const std::vector<std::uint8_t>& in) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBytes));
  state.counters["ratio"] = static_cast<double>(kBytes) / static_cast<double>(in.size());
}

void BM_Zlib(benchmark::State& state) {
  const auto in = compressed(static_cast<int>(state.range(0)));
  std::vector<std::uint8_t> out(kBytes);
  for (auto _ : state) {
    uLongf size = kBytes;
    if (uncompress(out.data(), &size, in.data(), in.size()) != Z_OK || size != kBytes) state.SkipWithError("zlib");
    benchmark::DoNotOptimize(out.data());
  }
  report(state, in);
}

void BM_Libdeflate(benchmark::State& state) {
  const auto in = compressed(static_cast<int>(state.range(0)));
  std::vector<std::uint8_t> out(kBytes);
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  for (auto _ : state) {
    std::size_t got = 0;
    if (libdeflate_zlib_decompress(d, in.data(), in.size(), out.data(), out.size(), &got) != LIBDEFLATE_SUCCESS ||
        got != kBytes) {
      state.SkipWithError("libdeflate");
    }
    benchmark::DoNotOptimize(out.data());
  }
  libdeflate_free_decompressor(d);
  report(state, in);
}

void BM_Isal(benchmark::State& state) {
  const auto in = compressed(static_cast<int>(state.range(0)));
  std::vector<std::uint8_t> out(kBytes);
  inflate_state s{};
  for (auto _ : state) {
    isal_inflate_init(&s);
    s.crc_flag = ISAL_ZLIB;
    s.next_in = const_cast<std::uint8_t*>(in.data());
    s.avail_in = static_cast<std::uint32_t>(in.size());
    s.next_out = out.data();
    s.avail_out = static_cast<std::uint32_t>(out.size());
    if (isal_inflate_stateless(&s) != ISAL_DECOMP_OK || s.total_out != kBytes) state.SkipWithError("isa-l");
    benchmark::DoNotOptimize(out.data());
  }
  report(state, in);
}

BENCHMARK(BM_Zlib)->Arg(1)->Arg(4)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Libdeflate)->Arg(1)->Arg(4)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Isal)->Arg(1)->Arg(4)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
