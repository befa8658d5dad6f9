// The object score removes exactly a complex factor and a linear phase ramp, and measures what is left.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "ptycho/object_score.h"
#include "sim/ptycho_simulation.h"

namespace xpulse::ptycho {
namespace {

TEST(PtychoObjectScore, FactorAndRampAreRemoved) {
  const std::size_t size = 96;
  const std::vector<float> star = sim::siemens_star(size);
  std::vector<cfloat> truth(size * size), recon(size * size);
  std::vector<std::uint8_t> region(size * size, 0);
  for (std::size_t y = 0; y < size; ++y)
    for (std::size_t x = 0; x < size; ++x) {
      const std::size_t k = y * size + x;
      truth[k] = std::polar(1.0f - 0.4f * star[k], -0.8f * star[k]);
      region[k] = y >= 10 && y < 80 && x >= 14 && x < 90;
      const double ramp = 0.03 * static_cast<double>(y) - 0.02 * static_cast<double>(x);
      recon[k] = cfloat(std::complex<double>(truth[k]) * std::polar(0.5, 1.2 + ramp));
    }
  const ObjectScore s = score_object(recon, truth, region, size, size, true);
  EXPECT_LT(s.error, 1e-4);
  EXPECT_NEAR(s.phase_ssim, 1.0, 1e-4);
  EXPECT_NEAR(s.ramp[0], -0.03, 1e-5);
  EXPECT_NEAR(s.ramp[1], 0.02, 1e-5);
  EXPECT_EQ(s.pixels, 70u * 76u);
  // Without removing the ramp the error is large; noise lowers the SSIM.
  EXPECT_GT(score_object(recon, truth, region, size, size, false).error, 0.3);
  std::vector<cfloat> noisy = truth;
  for (std::size_t k = 0; k < noisy.size(); k += 3) noisy[k] *= std::polar(1.0f, 0.3f);
  const ObjectScore n = score_object(noisy, truth, region, size, size, false);
  EXPECT_GT(n.error, 0.05);
  EXPECT_LT(n.phase_ssim, 0.9);
}

TEST(PtychoObjectScore, EmptyRegionAndNonFiniteValuesAreRefused) {
  std::vector<cfloat> a(16, cfloat(1, 0));
  std::vector<std::uint8_t> none(16, 0), all(16, 1);
  EXPECT_THROW(score_object(a, a, none, 4, 4, false), InputError);
  std::vector<cfloat> bad = a;
  bad[5] = cfloat(NAN, 0);
  EXPECT_THROW(score_object(bad, a, all, 4, 4, false), InputError);
}

}  // namespace
}  // namespace xpulse::ptycho
