// peakfinder8 split into its two halves (the passes over every pixel, then the regions around the candidates)
// finds what the whole does; the CUDA twin of the first half gives the CPU's candidates and so its peak lists,
// bit for bit (skipped without a device); without CUDA it says so.
#include <algorithm>

#include <gtest/gtest.h>

#include "core/error.h"
#include "pipelines/sfx_simulate.h"
#include "runtime/devices.h"
#include "runtime/thread_pool.h"
#include "sfx/cuda_peakfinder8.h"
#include "sfx/peakfinder8.h"
#include "sim/sfx_simulation.h"

namespace xpulse::sfx {
namespace {

struct Stills {
  std::size_t ny = 256, nx = 256, frames = 12;
  sim::SfxSimulation sim;
};

const Stills& stills() {
  static const Stills s = [] {
    Stills out;
    const auto crystal = pipelines::load_crystal(XPULSE_TEST_DATA "/2cex.pdb");
    sim::SfxOptions o;
    o.frames = out.frames, o.ny = out.ny, o.nx = out.nx, o.hit_fraction = 0.5, o.seed = 11;
    runtime::ThreadPool pool(2);
    out.sim = sim::simulate_sfx(crystal.atoms, crystal.cell, o, pool);
    return out;
  }();
  return s;
}

PeakFinderOptions finder_options() {
  PeakFinderOptions o;
  o.threshold = 100;  // 5 photons at the simulation's 20 ADU per photon
  return o;
}

void expect_same_peaks(const std::vector<Peak>& a, const std::vector<Peak>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t p = 0; p < a.size(); ++p) {
    EXPECT_EQ(a[p].x, b[p].x) << p;
    EXPECT_EQ(a[p].y, b[p].y) << p;
    EXPECT_EQ(a[p].total_intensity, b[p].total_intensity) << p;
    EXPECT_EQ(a[p].pixels, b[p].pixels) << p;
  }
}

TEST(PeakFinder8Halves, CandidatesThenRegionsIsTheWhole) {
  const Stills& s = stills();
  const PeakFinder8 finder(s.ny, s.nx, s.nx / 2.0, s.ny / 2.0, s.sim.mask, finder_options());
  std::size_t total = 0;
  for (std::size_t f = 0; f < s.frames; ++f) {
    const float* frame = s.sim.frames.data() + f * s.ny * s.nx;
    const auto candidates = finder.candidates(frame);
    EXPECT_TRUE(std::is_sorted(candidates.begin(), candidates.end()));
    const auto peaks = finder.peaks_from_candidates(frame, candidates);
    expect_same_peaks(peaks, finder.find(frame));
    total += peaks.size();
  }
  EXPECT_GT(total, 20u);  // the hits have peaks: the comparison is not of empty lists
}

TEST(CudaPeakFinder8, IdenticalCandidatesAndPeakListsToTheCpu) {
  if (runtime::cuda_device_count() == 0) GTEST_SKIP() << runtime::cuda_unavailable_reason();
  const Stills& s = stills();
  const PeakFinder8 finder(s.ny, s.nx, s.nx / 2.0 + 0.3, s.ny / 2.0 - 0.2, s.sim.mask, finder_options());
  CudaPeakFinder8 gpu(finder, 5);
  std::size_t total = 0;
  for (std::size_t first = 0; first < s.frames; first += 5) {  // batches of 5, 5 and 2
    const std::size_t count = std::min<std::size_t>(5, s.frames - first);
    const auto candidates = gpu.candidates(s.sim.frames.data() + first * s.ny * s.nx, count);
    ASSERT_EQ(candidates.size(), count);
    for (std::size_t i = 0; i < count; ++i) {
      const float* frame = s.sim.frames.data() + (first + i) * s.ny * s.nx;
      EXPECT_EQ(candidates[i], finder.candidates(frame)) << "frame " << first + i;
      const auto peaks = finder.peaks_from_candidates(frame, candidates[i]);
      expect_same_peaks(peaks, finder.find(frame));
      total += peaks.size();
    }
  }
  EXPECT_GT(total, 20u);
  EXPECT_THROW(gpu.candidates(s.sim.frames.data(), 6), Error);  // more than the batch it was made for
}

TEST(CudaPeakFinder8, WithoutADeviceItSaysWhy) {
  if (runtime::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  const PeakFinder8 finder(8, 8, 4, 4, {}, finder_options());
  try {
    CudaPeakFinder8 gpu(finder, 1);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.what(), runtime::cuda_unavailable_reason());
  }
}

}  // namespace
}  // namespace xpulse::sfx
