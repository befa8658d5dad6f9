// peakfinder8 on 4 Mpx frames (2048 x 2048, ~50 Bragg spots on a water ring and noise): frames per second on one
// CPU core, and with the CUDA twin of its per-pixel passes (batches of 32 frames, host-to-device copies
// included; skipped with the reason when there is no device). Then the simulator's per-frame work on 4 Mpx
// stills of the test structure (sim/sfx_scene.h: every frame a hit): one frame's truth and pixels on one core, and
// the pixels on the GPU in batches of 16 left in device memory; and peakfinder8's per-pixel passes on such frames
// already on the device (no host-to-device copy: the rate of the kernels themselves). items_per_second is frames
// per second.
#include <cmath>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "pipelines/sfx_simulate.h"
#include "runtime/devices.h"
#include "runtime/thread_pool.h"
#include "sfx/cuda_peakfinder8.h"
#include "sfx/peakfinder8.h"
#include "sim/cuda_sfx_renderer.h"
#include "sim/sfx_scene.h"

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

struct Stills {
  xpulse::sim::SfxOptions options;
  xpulse::sim::SfxScene scene;
  std::vector<xpulse::sim::SfxFrameTruth> truth;  // kRenderBatch frames
};
constexpr std::size_t kRenderBatch = 16;

// 2048 x 2048 pixels at 0.2 m (reflections to ~3 A at the corner, so that the scene is built in seconds).
const Stills& stills() {
  static const Stills s = [] {
    Stills out;
    out.options.ny = out.options.nx = kSide;
    out.options.distance_m = 0.2;
    out.options.hit_fraction = 1;
    out.options.seed = 5;
    const auto crystal = xpulse::pipelines::load_crystal(XPULSE_TEST_DATA "/2cex.pdb");
    xpulse::runtime::ThreadPool pool(1);
    out.scene = xpulse::sim::make_sfx_scene(crystal.atoms, crystal.cell, out.options, pool);
    for (std::size_t f = 0; f < kRenderBatch; ++f) out.truth.push_back(xpulse::sim::predict_sfx_frame(out.scene, out.options, f));
    return out;
  }();
  return s;
}

void simulate_sfx_cpu(benchmark::State& state) {
  const Stills& s = stills();
  std::vector<float> frame(kSide * kSide);
  std::size_t f = 0, spots = 0;
  for (auto _ : state) {
    const auto truth = xpulse::sim::predict_sfx_frame(s.scene, s.options, f);
    xpulse::sim::render_sfx_frame(s.scene, s.options, truth.spots, f++, frame.data());
    spots += truth.spots.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["spots_per_frame"] = static_cast<double>(spots) / static_cast<double>(state.iterations());
}
BENCHMARK(simulate_sfx_cpu)->Name("simulate_sfx_cpu/4Mpx")->Unit(benchmark::kMillisecond);

void simulate_sfx_cuda(benchmark::State& state) {
  if (xpulse::runtime::cuda_device_count() == 0) {
    state.SkipWithError(xpulse::runtime::cuda_unavailable_reason().c_str());
    return;
  }
  const Stills& s = stills();
  xpulse::sim::CudaSfxRenderer renderer(s.scene, s.options, kRenderBatch);
  for (auto _ : state) benchmark::DoNotOptimize(renderer.render_on_device(0, s.truth));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRenderBatch));
}
BENCHMARK(simulate_sfx_cuda)->Name("simulate_sfx_cuda/4Mpx_batch16_on_device")->Unit(benchmark::kMillisecond)->UseRealTime();

void peakfinder8_cuda_resident(benchmark::State& state) {
  if (xpulse::runtime::cuda_device_count() == 0) {
    state.SkipWithError(xpulse::runtime::cuda_unavailable_reason().c_str());
    return;
  }
  const Stills& s = stills();
  xpulse::sim::CudaSfxRenderer renderer(s.scene, s.options, kRenderBatch);
  const float* frames = renderer.render_on_device(0, s.truth);
  xpulse::sfx::PeakFinderOptions o;
  o.threshold = 100;  // 5 photons at the simulation's 20 ADU per photon
  const xpulse::sfx::PeakFinder8 finder(kSide, kSide, kSide / 2.0, kSide / 2.0, s.scene.mask, o);
  xpulse::sfx::CudaPeakFinder8 gpu(finder, kRenderBatch);
  std::size_t candidates = 0;
  for (auto _ : state) {
    for (const auto& c : gpu.candidates_on_device(frames, kRenderBatch)) candidates += c.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRenderBatch));
  state.counters["candidates_per_frame"] =
      static_cast<double>(candidates) / static_cast<double>(state.iterations() * kRenderBatch);
}
BENCHMARK(peakfinder8_cuda_resident)->Name("peakfinder8_cuda/4Mpx_batch16_on_device_passes")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
