// The CUDA orientation matcher against the CPU one on the same random images and slices (skipped without a
// device), and what a build or machine without CUDA says.
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "runtime/devices.h"
#include "runtime/thread_pool.h"
#include "spi/cuda_matcher.h"

namespace xpulse::spi {
namespace {

std::vector<float> random_rows(std::size_t rows, std::size_t pixels, unsigned seed) {
  std::mt19937 g(seed);
  std::gamma_distribution<float> counts(2.0f, 1.0f);
  std::vector<float> v(rows * pixels);
  for (float& x : v) x = counts(g);
  return v;
}

TEST(CudaOrientationMatching, AgreesWithTheCpu) {
  if (runtime::cuda_device_count() == 0) GTEST_SKIP() << runtime::cuda_unavailable_reason();
  const std::size_t images = 300, references = 700, pixels = 1500;
  const auto x = random_rows(images, pixels, 1), y = random_rows(references, pixels, 2);
  runtime::ThreadPool pool(2);
  for (bool scaled : {true, false}) {
    const MatchOptions options{scaled, 128};  // several blocks
    const MatchResult cpu = match_orientations(x.data(), images, y.data(), references, pixels, options, pool);
    const MatchResult gpu = cuda_match_orientations(x.data(), images, y.data(), references, pixels, options, 0);
    std::size_t same = 0;
    for (std::size_t i = 0; i < images; ++i) {
      same += cpu.best[i] == gpu.best[i];
      // A different choice is a near-tie: its distance equals the CPU's within the cross terms' rounding.
      EXPECT_NEAR(gpu.distance[i], cpu.distance[i], 1e-5 * std::abs(cpu.distance[i]) + 1e-3) << i;
    }
    EXPECT_GE(same, images * 99 / 100) << "scaled " << scaled;
  }
}

TEST(CudaOrientationMatching, WithoutCudaItSaysSo) {
  if (runtime::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  const std::vector<float> x(16, 1.0f);
  try {
    cuda_match_orientations(x.data(), 1, x.data(), 1, 16, {}, 0);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.what(), runtime::cuda_unavailable_reason());
  }
}

}  // namespace
}  // namespace xpulse::spi
