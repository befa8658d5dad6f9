// Detector geometry, lattice and orientation: known answers.
#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "core/error.h"
#include "geometry/detector.h"
#include "geometry/lattice.h"
#include "runtime/thread_pool.h"
#include "sim/pump_probe.h"

namespace xpulse::geometry {
namespace {

constexpr double pi = std::numbers::pi;

Detector one_angstrom_detector() {
  Detector d;
  d.ny = d.nx = 2048;
  d.distance_m = 0.1;
  d.x_pixel_size_m = d.y_pixel_size_m = 100e-6;
  d.beam_center_x_px = 10.0;
  d.beam_center_y_px = 20.0;
  d.energy_ev = kHcEvAngstrom;  // lambda = 1 Angstrom, |k| = 2 pi
  return d;
}

TEST(Detector, QIsZeroAtTheBeamCentreForAnyTilt) {
  Detector d = one_angstrom_detector();
  for (const Mat3& r : {kIdentity, rotation_xyz_deg(0, 30, 0), rotation_xyz_deg(10, -20, 45)}) {
    d.rotation = r;
    const Vec3 q = scattering_vector(d, d.beam_center_y_px, d.beam_center_x_px);
    EXPECT_NEAR(norm(q), 0.0, 1e-14);
    EXPECT_NEAR(polarization_factor(d, d.beam_center_y_px, d.beam_center_x_px), 1.0, 1e-14);
  }
}

TEST(Detector, HandComputedPixelAtFortyFiveDegrees) {
  // 1000 pixels of 100 um along x from the beam centre at 0.1 m: 2theta = 45 degrees.
  const Detector d = one_angstrom_detector();
  const Vec3 q = scattering_vector(d, 20.0, 1010.0);
  EXPECT_NEAR(q[0], 2 * pi / std::sqrt(2.0), 1e-12);  // 4.442882938
  EXPECT_NEAR(q[1], 0.0, 1e-12);
  EXPECT_NEAR(q[2], 2 * pi * (1 / std::sqrt(2.0) - 1), 1e-12);  // -1.840302
  EXPECT_NEAR(norm(q), 4 * pi * std::sin(pi / 8), 1e-12);       // 2 k sin(theta)
  EXPECT_NEAR(two_theta(d, 20.0, 1010.0), pi / 4, 1e-14);
  // Horizontal (x) polarisation: 1 - sin^2(2theta) in the polarisation plane, 1 perpendicular to it.
  EXPECT_NEAR(polarization_factor(d, 20.0, 1010.0), 0.5, 1e-12);
  EXPECT_NEAR(polarization_factor(d, 1020.0, 10.0), 1.0, 1e-12);
  Detector unpolarised = d;
  unpolarised.polarization_fraction = 0.5;
  EXPECT_NEAR(polarization_factor(unpolarised, 20.0, 1010.0), 0.75, 1e-12);  // (1 + cos^2 2theta) / 2
  // Solid angle: area cos(incidence) / r^2.
  EXPECT_NEAR(solid_angle(d, 20.0, 10.0), 1e-8 / 0.01, 1e-18);
  EXPECT_NEAR(solid_angle(d, 20.0, 1010.0), 1e-8 * std::cos(pi / 4) / 0.02, 1e-18);
}

TEST(Detector, TiltRotatesThePlaneAboutTheBeamCentre) {
  Detector d = one_angstrom_detector();
  d.rotation = rotation_xyz_deg(0, 30, 0);
  const Vec3 p = pixel_position(d, 20.0, 110.0);  // 10 mm along the detector's own x axis
  EXPECT_NEAR(p[0], 0.01 * std::cos(pi / 6), 1e-15);
  EXPECT_NEAR(p[1], 0.0, 1e-15);
  EXPECT_NEAR(p[2], 0.1 - 0.01 * std::sin(pi / 6), 1e-15);
  // The foot of the normal from the sample lies D sin(30) = 50 mm (500 pixels) along x, at D cos(30): there the
  // pixel is seen face on and subtends the most.
  const double foot = 1e-8 / std::pow(0.1 * std::cos(pi / 6), 2);
  EXPECT_NEAR(solid_angle(d, 20.0, 510.0), foot, 1e-12 * foot);
  EXPECT_LT(solid_angle(d, 20.0, 10.0), foot);
  EXPECT_LT(solid_angle(d, 20.0, 1010.0), foot);
}

TEST(Detector, ValidateNamesTheBadField) {
  Detector d = one_angstrom_detector();
  d.distance_m = 0.0;
  EXPECT_THROW(
      {
        try {
          d.validate();
        } catch (const InputError& e) {
          EXPECT_STREQ(e.what(), "detector distance must be a positive number of metres, got 0");
          throw;
        }
      },
      InputError);
  d = one_angstrom_detector();
  d.rotation[0][0] = 2.0;
  EXPECT_THROW(d.validate(), InputError);
}

TEST(Lattice, CubicMillerIndicesAndReducedWavevector) {
  const Crystal c(UnitCell{4, 4, 4, 90, 90, 90}, rotation_xyz_deg(12, 27, 8));
  const Vec3 g = c.to_lab({1, -2, 3});
  EXPECT_NEAR(norm(g), 2 * pi / 4 * std::sqrt(14.0), 1e-12);
  const Vec3 h = c.miller(g);
  EXPECT_NEAR(h[0], 1, 1e-12);
  EXPECT_NEAR(h[1], -2, 1e-12);
  EXPECT_NEAR(h[2], 3, 1e-12);
  const NearestReflection n = c.nearest(c.to_lab({1.2, -2.1, 2.95}));
  EXPECT_EQ(n.hkl, (std::array<int, 3>{1, -2, 3}));
  EXPECT_NEAR(n.reduced_norm, 2 * pi / 4 * std::sqrt(0.04 + 0.01 + 0.0025), 1e-12);
}

TEST(Lattice, ObliqueCellFindsTheTrulyNearestPoint) {
  // Hexagonal: rounding each index is not always the nearest lattice point.
  const Crystal c(UnitCell{3, 3, 5, 90, 90, 120}, kIdentity);
  for (const Vec3 h : {Vec3{0.45, 0.55, 0.1}, Vec3{0.6, 0.4, 0}, Vec3{-0.52, 0.49, 0.3}}) {
    const NearestReflection n = c.nearest(c.to_lab(h));
    double brute = 1e300;
    for (int i = -3; i <= 3; ++i)
      for (int j = -3; j <= 3; ++j)
        for (int k = -3; k <= 3; ++k) brute = std::min(brute, norm(c.to_lab({h[0] - i, h[1] - j, h[2] - k})));
    EXPECT_NEAR(n.reduced_norm, brute, 1e-12);
  }
}

TEST(Lattice, UbRoundTripRecoversCellAndOrientation) {
  const UnitCell cell{5.1, 6.2, 7.3, 80, 95, 105};
  const Crystal c(cell, rotation_xyz_deg(-30, 15, 60));
  const Crystal back = Crystal::from_ub(c.ub());
  EXPECT_NEAR(back.cell().a, 5.1, 1e-10);
  EXPECT_NEAR(back.cell().b, 6.2, 1e-10);
  EXPECT_NEAR(back.cell().c, 7.3, 1e-10);
  EXPECT_NEAR(back.cell().alpha, 80, 1e-9);
  EXPECT_NEAR(back.cell().beta, 95, 1e-9);
  EXPECT_NEAR(back.cell().gamma, 105, 1e-9);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(back.orientation()[i][j], c.orientation()[i][j], 1e-12);
  EXPECT_THROW(Crystal::from_ub(Mat3{}), InputError);
}

TEST(Lattice, PointGroupOfTheMetric) {
  EXPECT_EQ(Crystal(UnitCell{4, 4, 4, 90, 90, 90}, kIdentity).point_group().size(), 48u);
  EXPECT_EQ(Crystal(UnitCell{4, 4, 6, 90, 90, 90}, kIdentity).point_group().size(), 16u);
  EXPECT_EQ(Crystal(UnitCell{4, 5, 6, 90, 90, 90}, kIdentity).point_group().size(), 8u);
  EXPECT_EQ(Crystal(UnitCell{3, 3, 5, 90, 90, 120}, kIdentity).point_group().size(), 24u);
  EXPECT_EQ(Crystal(UnitCell{5.1, 6.2, 7.3, 80, 95, 105}, kIdentity).point_group().size(), 2u);
}

TEST(Lattice, BadCellsAreRejected) {
  EXPECT_THROW(Crystal(UnitCell{0, 4, 4, 90, 90, 90}, kIdentity), InputError);
  EXPECT_THROW(Crystal(UnitCell{4, 4, 4, 90, 90, 190}, kIdentity), InputError);
  EXPECT_THROW(Crystal(UnitCell{4, 4, 4, 10, 10, 120}, kIdentity), InputError);  // no volume
  Mat3 not_rotation = kIdentity;
  not_rotation[2][2] = -1.0;
  EXPECT_THROW(Crystal(UnitCell{4, 4, 4, 90, 90, 90}, not_rotation), InputError);
}

TEST(Simulator, BraggPixelMapsToIntegerMillerIndices) {
  for (std::size_t n : {64u, 100u, 256u}) {
    sim::PumpProbeOptions o;
    o.n_delay = 8;
    o.ny = o.nx = n;
    o.noise = sim::Noise::none;
    runtime::ThreadPool pool(1);
    const sim::PumpProbeSimulation s = sim::simulate_pump_probe(o, pool);
    const auto [y, x] = s.bragg_pixel;
    const Vec3 h = s.crystal.miller(scattering_vector(s.detector, static_cast<double>(y), static_cast<double>(x)));
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(h[c], s.bragg_hkl[c], 1e-6) << "detector " << n;
    EXPECT_NE(s.bragg_hkl, (std::array<int, 3>{0, 0, 0}));
    EXPECT_EQ(s.mask[y * n + x], sim::kMaskSaturated);  // a Bragg pixel saturates and is masked
  }
}

}  // namespace
}  // namespace xpulse::geometry
