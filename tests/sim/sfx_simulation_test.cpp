// The SFX simulation's frames: independent of the thread count, blank frames averaging to the scene's background,
// every truth spot's photons on the detector where the truth puts it, and the CUDA renderer giving the CPU's
// frames (skipped without a device; without one it says so).
#include "sim/sfx_simulation.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/error.h"
#include "pipelines/sfx_simulate.h"
#include "runtime/devices.h"
#include "runtime/thread_pool.h"
#include "sim/cuda_sfx_renderer.h"
#include "sim/sfx_scene.h"

namespace xpulse::sim {
namespace {

const pipelines::Crystal& crystal() {
  static const pipelines::Crystal c = pipelines::load_crystal(XPULSE_TEST_DATA "/2cex.pdb");
  return c;
}

SfxOptions small_options() {
  SfxOptions o;
  o.frames = 12, o.ny = 256, o.nx = 256, o.hit_fraction = 0.5, o.seed = 11;
  return o;
}

SfxSimulation simulate(const SfxOptions& o, unsigned threads, const SfxDevice& device = {}) {
  runtime::ThreadPool pool(threads);
  return simulate_sfx(crystal().atoms, crystal().cell, o, pool, device);
}

const SfxSimulation& cpu_simulation() {
  static const SfxSimulation s = simulate(small_options(), 2);
  return s;
}

const SfxScene& scene() {
  static const SfxScene s = [] {
    runtime::ThreadPool pool(2);
    return make_sfx_scene(crystal().atoms, crystal().cell, small_options(), pool);
  }();
  return s;
}

void expect_same_truth(const SfxSimulation& a, const SfxSimulation& b) {
  EXPECT_EQ(a.hit, b.hit);
  EXPECT_EQ(a.mask, b.mask);
  ASSERT_EQ(a.spots.size(), b.spots.size());
  for (std::size_t s = 0; s < a.spots.size(); ++s) {
    EXPECT_EQ(a.spots[s].frame, b.spots[s].frame);
    EXPECT_EQ(a.spots[s].x, b.spots[s].x);
    EXPECT_EQ(a.spots[s].photons, b.spots[s].photons);
  }
}

TEST(SfxSimulation, SameFramesForAnyThreadCount) {
  const SfxSimulation one = simulate(small_options(), 1);
  const SfxSimulation& two = cpu_simulation();
  expect_same_truth(one, two);
  EXPECT_EQ(one.frames, two.frames);
  std::size_t hits = 0;
  for (auto h : two.hit) hits += h;
  EXPECT_GT(hits, 2u);
  EXPECT_LT(hits, 10u);
  EXPECT_GT(two.spots.size(), 20u);
}

TEST(SfxSimulation, BlankFramesAverageToTheBackground) {
  const SfxOptions o = small_options();
  const SfxSimulation& s = cpu_simulation();
  const std::size_t pixels = o.ny * o.nx;
  const double readout_photons2 = std::pow(o.readout_noise_adu / o.adu_per_photon, 2);
  std::size_t blanks = 0;
  for (std::size_t f = 0; f < o.frames; ++f) {
    if (s.hit[f]) continue;
    ++blanks;
    double seen = 0, expected = 0, variance = 0;
    for (std::size_t i = 0; i < pixels; ++i) {
      if (s.mask[i]) {
        EXPECT_EQ(s.frames[f * pixels + i], 0.0f);
        continue;
      }
      seen += s.frames[f * pixels + i] / o.adu_per_photon;
      expected += scene().background[i];
      variance += scene().background[i] + readout_photons2;
    }
    EXPECT_NEAR(seen, expected, 5 * std::sqrt(variance)) << "frame " << f;
  }
  EXPECT_GT(blanks, 2u);
}

TEST(SfxSimulation, EverySpotsPhotonsLandWhereTheTruthSaysAndNowhereElse) {
  const SfxOptions o = small_options();
  const SfxSimulation& s = cpu_simulation();
  const long n = static_cast<long>(o.nx), half = 4;
  const double readout_photons2 = std::pow(o.readout_noise_adu / o.adu_per_photon, 2);
  std::size_t checked = 0;
  for (std::size_t a = 0; a < s.spots.size(); ++a) {
    const SfxSpot& spot = s.spots[a];
    if (spot.photons < 100) continue;
    const long x0 = std::lround(spot.x), y0 = std::lround(spot.y);
    bool clear = x0 - 2 * half >= 0 && y0 - 2 * half >= 0 && x0 + 2 * half < n && y0 + 2 * half < n;
    for (std::size_t b = 0; clear && b < s.spots.size(); ++b) {
      clear = b == a || s.spots[b].frame != spot.frame ||
              std::hypot(s.spots[b].x - spot.x, s.spots[b].y - spot.y) > 2 * half + 1;
    }
    // The box around the spot holds its photons over the background; the ring around the box holds none.
    double in_box = 0, box_variance = spot.photons, in_ring = 0, ring_variance = 0;
    for (long y = y0 - 2 * half; clear && y <= y0 + 2 * half; ++y)
      for (long x = x0 - 2 * half; x <= x0 + 2 * half; ++x) {
        const std::size_t i = static_cast<std::size_t>(y * n + x);
        if (s.mask[i]) {
          clear = false;
          break;
        }
        const double excess = s.frames[spot.frame * o.ny * o.nx + i] / o.adu_per_photon - scene().background[i];
        const double variance = scene().background[i] + readout_photons2;
        const bool box = std::abs(x - x0) <= half && std::abs(y - y0) <= half;
        (box ? in_box : in_ring) += excess;
        (box ? box_variance : ring_variance) += variance;
      }
    if (!clear) continue;
    ++checked;
    EXPECT_NEAR(in_box, spot.photons, 6 * std::sqrt(box_variance)) << "spot " << a;
    EXPECT_NEAR(in_ring, 0, 6 * std::sqrt(ring_variance)) << "spot " << a;
  }
  EXPECT_GT(checked, 10u);
}

TEST(SfxSimulation, StreamsBatchesInOrderAndPassesOnTheSinksError) {
  SfxOptions o = small_options();
  o.ny = o.nx = 2048, o.frames = 17, o.distance_m = 0.4;  // 16 MiB frames: batches of 16 and 1
  runtime::ThreadPool pool(2);
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  const SfxSimulation s = simulate_sfx(crystal().atoms, crystal().cell, o, pool, {},
                                       [&](std::size_t first, std::span<const float> frames) {
                                         calls.emplace_back(first, frames.size() / (o.ny * o.nx));
                                       });
  EXPECT_EQ(calls, (std::vector<std::pair<std::size_t, std::size_t>>{{0, 16}, {16, 1}}));
  EXPECT_TRUE(s.frames.empty());
  EXPECT_EQ(s.hit.size(), 17u);
  EXPECT_THROW(simulate_sfx(crystal().atoms, crystal().cell, o, pool, {},
                            [](std::size_t, std::span<const float>) { throw IoError("disk full"); }),
               IoError);
}

TEST(CudaSfxRenderer, GivesTheCpusFrames) {
  if (runtime::cuda_device_count() == 0) {
    GTEST_SKIP() << "no CUDA device: " << runtime::cuda_unavailable_reason();
  }
  const SfxSimulation gpu = simulate(small_options(), 2, SfxDevice{true, 0});
  const SfxSimulation& cpu = cpu_simulation();
  expect_same_truth(gpu, cpu);
  ASSERT_EQ(gpu.frames.size(), cpu.frames.size());
  // The same arithmetic on the same random numbers: only a last-bit difference in erf/exp/log/lgamma between the
  // two math libraries may move a count, which happens to a handful of pixels in millions at most.
  std::size_t differ = 0;
  for (std::size_t i = 0; i < cpu.frames.size(); ++i) differ += gpu.frames[i] != cpu.frames[i];
  EXPECT_LE(differ, 2 + cpu.frames.size() / 100000) << differ << " of " << cpu.frames.size() << " pixels differ";
}

TEST(CudaSfxRenderer, WithoutADeviceSaysSo) {
  if (runtime::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW(CudaSfxRenderer(scene(), small_options(), 4), Error);
  runtime::ThreadPool pool(1);
  EXPECT_THROW(simulate_sfx(crystal().atoms, crystal().cell, small_options(), pool, SfxDevice{true, 0}), Error);
}

}  // namespace
}  // namespace xpulse::sim
