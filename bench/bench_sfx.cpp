// peakfinder8 on 4 Mpx frames (2048 x 2048, ~50 Bragg spots on a water ring and noise): frames per second on one
// CPU core, and with the CUDA twin of its per-pixel passes (batches of 32 frames, host-to-device copies
// included; skipped with the reason when there is no device). items_per_second is frames per second.
#include <cmath>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "runtime/devices.h"
#include "sfx/cuda_peakfinder8.h"
#include "sfx/peakfinder8.h"

namespace {

constexpr std::size_t kSide = 2048, kBatch = 32;

// kBatch frames in ADU (20 per photon): a water ring, Gaussian noise, and 50 spots of 3x3 pixels per frame.
const std::vector<float>& frames() {
  static const std::vector<float> data = [] {
    std::vector<float> out(kBatch * kSide * kSide);
    std::mt19937 rng(7);
    std::normal_distribution<float> noise(0.0f, 10.0f);
    std::uniform_real_distribution<double> where(20.0, kSide - 20.0);
    for (std::size_t f = 0; f < kBatch; ++f) {
      float* frame = out.data() + f * kSide * kSide;
      for (std::size_t y = 0; y < kSide; ++y)
        for (std::size_t x = 0; x < kSide; ++x) {
          const double r = std::hypot(x - kSide / 2.0, y - kSide / 2.0);
          const double ring = 40.0 + 60.0 * std::exp(-std::pow((r - 700.0) / 120.0, 2));
          frame[y * kSide + x] = static_cast<float>(ring) + noise(rng);
        }
      for (int s = 0; s < 50; ++s) {
        const auto cy = static_cast<std::size_t>(where(rng)), cx = static_cast<std::size_t>(where(rng));
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            frame[(cy + dy) * kSide + cx + dx] += dy == 0 && dx == 0 ? 3000.0f : 1200.0f;
          }
      }
    }
    return out;
  }();
  return data;
}

xpulse::sfx::PeakFinderOptions options() {
  xpulse::sfx::PeakFinderOptions o;
  o.threshold = 300;
  return o;
}

void peakfinder8_cpu(benchmark::State& state) {
  const xpulse::sfx::PeakFinder8 finder(kSide, kSide, kSide / 2.0, kSide / 2.0, {}, options());
  const auto& data = frames();
  std::size_t f = 0, peaks = 0;
  for (auto _ : state) {
    peaks += finder.find(data.data() + (f++ % kBatch) * kSide * kSide).size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["peaks_per_frame"] = static_cast<double>(peaks) / static_cast<double>(state.iterations());
}
BENCHMARK(peakfinder8_cpu)->Name("peakfinder8_cpu/4Mpx")->Unit(benchmark::kMillisecond);

void peakfinder8_cuda(benchmark::State& state) {
  if (xpulse::runtime::cuda_device_count() == 0) {
    state.SkipWithError(xpulse::runtime::cuda_unavailable_reason().c_str());
    return;
  }
  const xpulse::sfx::PeakFinder8 finder(kSide, kSide, kSide / 2.0, kSide / 2.0, {}, options());
  xpulse::sfx::CudaPeakFinder8 gpu(finder, kBatch);
  const auto& data = frames();
  std::size_t peaks = 0;
  for (auto _ : state) {
    const auto candidates = gpu.candidates(data.data(), kBatch);
    for (std::size_t f = 0; f < kBatch; ++f) {
      peaks += finder.peaks_from_candidates(data.data() + f * kSide * kSide, candidates[f]).size();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["peaks_per_frame"] = static_cast<double>(peaks) / static_cast<double>(state.iterations() * kBatch);
}
BENCHMARK(peakfinder8_cuda)->Name("peakfinder8_cuda/4Mpx_batch32")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
