// JUNGFRAU correction throughput on one core against the memory bandwidth a plain copy of the same bytes gets.
// A 4-module frame (512x1024 pixels each, 2M pixels) in blocks of 16 frames: per value 2 bytes read, 4 + 1
// written; the 24 bytes of constants per pixel are read once per block of frames.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "correct/jungfrau_correction.h"
#include "runtime/thread_pool.h"

namespace {

constexpr std::size_t kPixels = 4 * 512 * 1024;
constexpr std::size_t kFrames = 16;

struct Data {
  std::vector<std::uint16_t> raw = std::vector<std::uint16_t>(kFrames * kPixels);
  std::vector<float> pedestal = std::vector<float>(3 * kPixels), gain = std::vector<float>(3 * kPixels);
  std::vector<float> values = std::vector<float>(kFrames * kPixels);
  std::vector<std::uint8_t> flags = std::vector<std::uint8_t>(kFrames * kPixels);
  Data() {
    std::mt19937 rng(1);
    std::discrete_distribution<unsigned> stage({0.9, 0.07, 0.0, 0.03});
    for (auto& w : raw) w = static_cast<std::uint16_t>((stage(rng) << 14) | (1000u + rng() % 2000u));
    for (std::size_t p = 0; p < kPixels; ++p) {
      pedestal[p] = 1200.0f;
      pedestal[kPixels + p] = 14000.0f;
      pedestal[2 * kPixels + p] = 15000.0f;
      gain[p] = 41.0f;
      gain[kPixels + p] = 1.55f;
      gain[2 * kPixels + p] = 0.11f;
    }
  }
};

Data& data() {
  static Data d;
  return d;
}

std::size_t bytes_moved() { return kFrames * kPixels * (2 + 4 + 1) + 6 * kPixels * sizeof(float); }

void BM_CorrectJungfrau(benchmark::State& state) {
  Data& d = data();
  xpulse::runtime::ThreadPool pool(1);
  xpulse::correct::JungfrauOptions options;
  options.photon_energy = 12.4f;
  for (auto _ : state) {
    xpulse::correct::correct_jungfrau(d.raw.data(), kFrames, kPixels, d.pedestal.data(), d.gain.data(), options,
                                      d.values.data(), d.flags.data(), pool);
    benchmark::DoNotOptimize(d.values.data());
  }
  state.counters["Gpixel/s"] =
      benchmark::Counter(static_cast<double>(kFrames * kPixels) * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes_moved() * state.iterations()));
}
BENCHMARK(BM_CorrectJungfrau)->Unit(benchmark::kMillisecond);

// The same number of bytes read and written by memcpy: the bandwidth bound of the correction.
void BM_CopySameBytes(benchmark::State& state) {
  Data& d = data();
  const std::size_t in = bytes_moved() / 2;
  std::vector<char> a(in, 1), b(in, 0);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), in);
    benchmark::DoNotOptimize(b.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(2 * in * state.iterations()));
  (void)d;
}
BENCHMARK(BM_CopySameBytes)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
