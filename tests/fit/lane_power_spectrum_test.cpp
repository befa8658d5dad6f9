#include "fit/lane_power_spectrum.h"

#include <cmath>
#include <complex>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "fit/vector_math.h"

namespace xpulse::fit {
namespace {

// Every bin of every lane against a direct DFT in double, for lengths that end on a radix-4 and on a radix-2 pass.
TEST(LanePowerSpectrum, MatchesDirectDftInEveryLane) {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (std::size_t m : {8u, 16u, 64u, 128u, 512u, 1024u}) {
    for (std::size_t n : {m / 2, m / 2 - 3, std::size_t{3}}) {
      std::vector<float> x(n * kLanes);
      for (auto& v : x) v = noise(rng);
      LanePowerSpectrum spectrum(m);
      std::vector<float> power((m / 2 + 1) * kLanes, -1.0f);
      spectrum.compute(x.data(), n, 0, m / 2, power.data());
      double worst = 0.0;
      for (int l = 0; l < kLanes; ++l) {
        double total = 0.0;
        for (std::size_t j = 0; j < n; ++j) total += x[j * kLanes + l] * x[j * kLanes + l];
        for (std::size_t b = 0; b <= m / 2; ++b) {
          std::complex<double> sum = 0.0;
          for (std::size_t j = 0; j < n; ++j) {
            sum += static_cast<double>(x[j * kLanes + l]) *
                   std::polar(1.0, -kTwoPi * static_cast<double>(j * b % m) / static_cast<double>(m));
          }
          // Parseval: the mean power is the energy, so errors are measured against it.
          worst = std::max(worst, std::abs(power[b * kLanes + l] - std::norm(sum)) / total);
        }
      }
      EXPECT_LT(worst, 2e-5) << "m = " << m << ", n = " << n;
    }
  }
}

TEST(LanePowerSpectrum, WritesOnlyTheBinsAskedFor) {
  LanePowerSpectrum spectrum(64);
  std::vector<float> x(32 * kLanes, 1.0f);
  std::vector<float> power(33 * kLanes, -1.0f);
  spectrum.compute(x.data(), 32, 5, 9, power.data());
  EXPECT_EQ(power[4 * kLanes], -1.0f);
  EXPECT_EQ(power[10 * kLanes], -1.0f);
  EXPECT_NE(power[5 * kLanes], -1.0f);
}

TEST(LanePowerSpectrum, RejectsBadLengthsAndBins) {
  EXPECT_THROW(LanePowerSpectrum(48), std::invalid_argument);
  EXPECT_THROW(LanePowerSpectrum(2), std::invalid_argument);
  LanePowerSpectrum spectrum(16);
  std::vector<float> x(9 * kLanes), power(9 * kLanes);
  EXPECT_THROW(spectrum.compute(x.data(), 9, 0, 8, power.data()), std::invalid_argument);  // n > m / 2
  EXPECT_THROW(spectrum.compute(x.data(), 8, 0, 9, power.data()), std::invalid_argument);  // hi > m / 2
}

}  // namespace
}  // namespace xpulse::fit
