// The shared pixel noise: Poisson counts (inversion below a mean of 10, PTRS from 10 on) against the Poisson
// probabilities by a chi-square test and by their moments, Box-Muller normals, and a pixel's ADU.
#include "sim/detector_noise.h"

#include <cmath>
#include <map>

#include <gtest/gtest.h>

namespace xpulse::sim {
namespace {

// Chi-square of n counts drawn with `mean` against the Poisson probabilities, over the values expected at least
// 20 times (the tails pooled into the first and last), with its degrees of freedom.
std::pair<double, int> poisson_chi_square(double mean, int n) {
  std::map<long, long> seen;
  CounterStream random(42, static_cast<std::uint64_t>(mean * 1000), 0);
  for (int i = 0; i < n; ++i) ++seen[static_cast<long>(poisson_count(mean, random))];
  auto probability = [&](long k) { return std::exp(k * std::log(mean) - mean - std::lgamma(k + 1.0)); };
  long lo = static_cast<long>(mean), hi = lo;
  while (lo > 0 && n * probability(lo - 1) >= 20) --lo;
  while (n * probability(hi + 1) >= 20) ++hi;
  double below = 0, above = 1, chi = 0;
  long below_seen = 0, above_seen = 0;
  for (long k = 0; k < lo; ++k) below += probability(k);
  for (long k = 0; k <= hi; ++k) above -= probability(k);
  for (const auto& [k, c] : seen) {
    if (k < lo) below_seen += c;
    if (k > hi) above_seen += c;
  }
  int cells = 0;
  auto add = [&](double expected, long observed) {
    if (expected <= 0) return;
    chi += (observed - expected) * (observed - expected) / expected;
    ++cells;
  };
  add(n * below, below_seen);
  add(n * above, above_seen);
  for (long k = lo; k <= hi; ++k) add(n * probability(k), seen.count(k) ? seen[k] : 0);
  return {chi, cells - 1};
}

TEST(PoissonCount, FollowsThePoissonDistributionOnBothSidesOfTheSwitch) {
  for (const double mean : {0.05, 0.7, 3.0, 9.9, 10.0, 10.5, 27.0, 140.0, 2500.0}) {
    const auto [chi, dof] = poisson_chi_square(mean, 300000);
    // Far beyond any chance fluctuation (mean dof, sd sqrt(2 dof)) only for a wrong sampler.
    EXPECT_LT(chi, dof + 6 * std::sqrt(2.0 * dof)) << "mean " << mean << ", " << dof << " degrees of freedom";
  }
}

TEST(PoissonCount, MomentsMatchForLargeMeans) {
  for (const double mean : {12.0, 1e4, 1e6}) {
    CounterStream random(5, 1, static_cast<std::uint32_t>(mean));
    const int n = 200000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      const double k = poisson_count(mean, random);
      ASSERT_EQ(k, std::floor(k));
      sum += k, sum2 += k * k;
    }
    const double m = sum / n, variance = sum2 / n - m * m;
    EXPECT_NEAR(m, mean, 5 * std::sqrt(mean / n)) << mean;
    EXPECT_NEAR(variance / mean, 1.0, 5 * std::sqrt(2.0 / n)) << mean;
  }
}

TEST(PoissonCount, NothingForNoOrBadMeans) {
  CounterStream random(1, 2, 3);
  EXPECT_EQ(poisson_count(0, random), 0);
  EXPECT_EQ(poisson_count(-3, random), 0);
  EXPECT_EQ(poisson_count(std::nan(""), random), 0);
}

TEST(StandardNormal, HasUnitVarianceAndNormalTails) {
  CounterStream random(9, 9, 9);
  const int n = 400000;
  double sum = 0, sum2 = 0, sum4 = 0;
  int beyond2 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = standard_normal(random);
    sum += z, sum2 += z * z, sum4 += z * z * z * z;
    beyond2 += std::fabs(z) > 2;
  }
  EXPECT_NEAR(sum / n, 0, 5 / std::sqrt(n));
  EXPECT_NEAR(sum2 / n, 1, 5 * std::sqrt(2.0 / n));
  EXPECT_NEAR(sum4 / n, 3, 5 * std::sqrt(96.0 / n));
  const double tail = std::erfc(2 / std::sqrt(2.0));  // 0.0455
  EXPECT_NEAR(static_cast<double>(beyond2) / n, tail, 5 * std::sqrt(tail / n));
}

TEST(DetectorAdu, IsGainTimesCountsPlusReadoutFromThePixelsOwnStream) {
  const DetectorNoise noiseless{20, 0};
  // Without readout noise: whole multiples of the gain, the same for the same (seed, frame, pixel).
  const float a = detector_adu(50, noiseless, 3, 4, 5);
  EXPECT_EQ(a, detector_adu(50, noiseless, 3, 4, 5));
  EXPECT_EQ(std::fmod(a, 20.0f), 0.0f);
  EXPECT_EQ(detector_adu(0, noiseless, 3, 4, 5), 0.0f);
  // Mean and variance over pixels: gain * mean and gain^2 * mean + readout^2.
  const DetectorNoise detector{20, 8};
  const int n = 200000;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double v = detector_adu(2.5, detector, 3, 4, static_cast<std::uint32_t>(i));
    sum += v, sum2 += v * v;
  }
  const double mean = sum / n, variance = sum2 / n - mean * mean, expected_variance = 400 * 2.5 + 64;
  EXPECT_NEAR(mean, 50, 5 * std::sqrt(expected_variance / n));
  EXPECT_NEAR(variance / expected_variance, 1, 0.02);
}

}  // namespace
}  // namespace xpulse::sim
