// Partiality models and prediction of still reflections; ring integration of synthetic spots: the photons
// recovered, honest sigmas over many noisy draws, the background plane, flags for masked and edge spots.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "sfx/reflection_prediction.h"
#include "sfx/ring_integration.h"
#include "sfx/still_geometry.h"
#include "still_peaks.h"

namespace xpulse::sfx {
namespace {

TEST(Partiality, XsphereIsTheSphereFractionBetweenTheEwaldShells) {
  const double k = 0.77, radius = 5e-4, s = 0.3;
  // A shell much thicker than the sphere: full at the centre, none far outside.
  EXPECT_NEAR(partiality(PartialityModel::xsphere, 0, s, k, 0.2, radius), 1.0, 1e-12);
  EXPECT_EQ(partiality(PartialityModel::xsphere, 1.0, s, k, 0.002, radius), 0.0);
  // No bandwidth: a plane through the sphere; symmetric in eps and largest at 0.
  const double at0 = partiality(PartialityModel::xsphere, 0, s, k, 0.002, radius);
  EXPECT_GT(at0, partiality(PartialityModel::xsphere, 2e-4, s, k, 0.002, radius));
  EXPECT_NEAR(partiality(PartialityModel::xsphere, 2e-4, s, k, 0.002, radius),
              partiality(PartialityModel::xsphere, -2e-4, s, k, 0.002, radius), 1e-15);
  // The cap volume: half-width h = bw s^2 / 4k; fraction within [-h, h] of the centre = 1.5 h / R - 0.5 (h / R)^3.
  const double h = 0.002 * s * s / (4 * k), x = h / radius;
  EXPECT_NEAR(at0, 1.5 * x - 0.5 * x * x * x, 1e-12);
  EXPECT_NEAR(partiality(PartialityModel::offset, radius / 2, s, k, 0.002, radius), std::exp(-0.5), 1e-12);
  EXPECT_EQ(partiality(PartialityModel::unity, 0.5 * radius, s, k, 0, radius), 1.0);
  EXPECT_EQ(partiality(PartialityModel::unity, 2 * radius, s, k, 0, radius), 0.0);
  EXPECT_THROW(parse_partiality_model("gauss"), InvalidArgument);
}

TEST(Prediction, PutsEveryReflectionNearTheEwaldSphereWhereItsRayMeetsTheDetector) {
  const geometry::Detector d = testing::still_detector();
  std::mt19937_64 random(2);
  const geometry::UnitCell cell{58, 58, 84, 90, 90, 90};
  const geometry::Mat3 ub = geometry::mul(testing::random_rotation(random), cell.b_matrix());
  PredictionOptions o;
  o.model = PartialityModel::unity;
  o.bandwidth = 0;
  const auto predicted = predict_reflections(d, ub, Centering::I, 5e-4, o);
  ASSERT_GT(predicted.size(), 20u);
  // The same set by brute force over a wide box of indices.
  std::size_t expected = 0;
  for (int h = -40; h <= 40; ++h)
    for (int k = -40; k <= 40; ++k)
      for (int l = -60; l <= 60; ++l) {
        if ((h == 0 && k == 0 && l == 0) || ((h + k + l) & 1)) continue;
        const geometry::Vec3 s = geometry::mul(ub, geometry::Vec3{double(h), double(k), double(l)});
        double x = 0, y = 0;
        if (std::abs(excitation_error(d, s)) > 5e-4 || !s_to_pixel(d, s, x, y)) continue;
        expected += x >= -0.5 && y >= -0.5 && x <= double(d.nx) - 0.5 && y <= double(d.ny) - 0.5;
      }
  EXPECT_EQ(predicted.size(), expected);
  for (const auto& p : predicted) {
    const geometry::Vec3 s = geometry::mul(ub, geometry::Vec3{double(p.hkl[0]), double(p.hkl[1]), double(p.hkl[2])});
    EXPECT_EQ((p.hkl[0] + p.hkl[1] + p.hkl[2]) & 1, 0);
    EXPECT_NEAR(p.d, 1 / geometry::norm(s), 1e-9);
    double x = 0, y = 0;
    ASSERT_TRUE(s_to_pixel(d, s, x, y));
    EXPECT_NEAR(p.x, x, 1e-9);
    // The pixel's own scattering vector points along k_in + s.
    const geometry::Vec3 back = pixel_to_s(d, p.x, p.y);
    EXPECT_NEAR(geometry::norm(geometry::sub(back, s)), std::abs(p.excitation_error), 1e-6);
  }
}

// A Gaussian spot of `photons` on a sloped background (photons per pixel), Poisson counts times `gain` plus
// Gaussian readout noise, into an ADU frame.
std::vector<float> spot_frame(std::size_t n, double cx, double cy, double photons, double gain, double readout,
                              std::mt19937_64& random) {
  std::vector<float> frame(n * n);
  std::normal_distribution<double> noise(0, readout);
  for (std::size_t y = 0; y < n; ++y)
    for (std::size_t x = 0; x < n; ++x) {
      const double dx = double(x) - cx, dy = double(y) - cy, sigma = 0.8;
      const double expected = 3 + 0.05 * double(x) - 0.03 * double(y) +
                              photons * std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)) / (2 * M_PI * sigma * sigma);
      std::poisson_distribution<int> counts(expected);
      frame[y * n + x] = static_cast<float>(gain * counts(random) + noise(random));
    }
  return frame;
}

TEST(RingIntegration, RecoversPhotonsWithHonestSigmas) {
  std::mt19937_64 random(9);
  IntegrationOptions o;
  o.adu_per_photon = 20;
  for (double photons : {30.0, 300.0}) {
    double sum_z = 0, sum_z2 = 0, sum_i = 0;
    const int draws = 400;
    for (int t = 0; t < draws; ++t) {
      const auto frame = spot_frame(32, 15.3, 16.6, photons, 20, 8, random);
      const IntegratedSpot s = integrate_ring(frame.data(), nullptr, 32, 32, 15.3, 16.6, o);
      ASSERT_EQ(s.flags, 0);
      const double z = (s.intensity - photons) / s.sigma;
      sum_z += z, sum_z2 += z * z, sum_i += s.intensity;
    }
    const double mean = sum_z / draws, sd = std::sqrt(sum_z2 / draws - mean * mean);
    EXPECT_NEAR(sum_i / draws, photons, 0.02 * photons + 1.5) << photons;
    EXPECT_GT(sd, 0.85) << photons;
    EXPECT_LT(sd, 1.15) << photons;
  }
}

TEST(RingIntegration, FlagsMaskedEdgeAndBackgroundlessSpots) {
  std::mt19937_64 random(4);
  const auto frame = spot_frame(32, 16, 16, 100, 1, 1, random);
  IntegrationOptions o;
  std::vector<std::uint8_t> mask(32 * 32, 0);
  mask[16 * 32 + 17] = 1;
  EXPECT_EQ(integrate_ring(frame.data(), mask.data(), 32, 32, 16, 16, o).flags, kSpotMasked);
  EXPECT_EQ(integrate_ring(frame.data(), nullptr, 32, 32, 2, 16, o).flags & kSpotEdge, kSpotEdge);
  o.saturation = 20;
  EXPECT_EQ(integrate_ring(frame.data(), nullptr, 32, 32, 16, 16, o).flags & kSpotSaturated, kSpotSaturated);
  std::fill(mask.begin(), mask.end(), 1);
  EXPECT_EQ(integrate_ring(frame.data(), mask.data(), 32, 32, 16, 16, o).flags & kSpotNoBackground, kSpotNoBackground);
}

TEST(RingIntegration, ParsesRadii) {
  const RingRadii r = parse_ring_radii("3,4,6");
  EXPECT_EQ(r.peak, 3);
  EXPECT_EQ(r.outer, 6);
  try {
    parse_ring_radii("4,3,7");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "--int-radius must be r1,r2,r3 with 0 < r1 <= r2 < r3 <= 64 pixels, got 4,3,7");
  }
  EXPECT_THROW(parse_ring_radii("4,5"), InvalidArgument);
  EXPECT_THROW(parse_ring_radii("4,5,x"), InvalidArgument);
}

}  // namespace
}  // namespace xpulse::sfx
