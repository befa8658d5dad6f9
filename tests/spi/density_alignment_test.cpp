// Alignment recovers a known rotation, mirror and shift; FSC is 1 for identical maps and falls where two maps
// stop sharing detail; resampling keeps a smooth density.
#include "spi/density_alignment.h"

#include <cmath>

#include <gtest/gtest.h>

#include "centred_grid.h"

#include "spi/fsc.h"
#include "spi/grid_transform.h"

namespace xpulse::spi {
namespace {

std::vector<double> test_density(std::size_t m) {
  return centred_grid(m, [](double dx, double dy, double dz) {
    return std::exp(-((dx - 3) * (dx - 3) + dy * dy + dz * dz) / 4) +
           0.7 * std::exp(-(dx * dx + (dy - 2) * (dy - 2) + (dz + 1) * (dz + 1)) / 3) +
           0.5 * std::exp(-((dx + 1) * (dx + 1) + (dy + 2) * (dy + 2) + (dz - 3) * (dz - 3)) / 2);
  });
}

TEST(DensityAlignment, RecoversRotationMirrorAndShift) {
  const std::size_t m = 25;
  const std::vector<double> reference = test_density(m);
  const geometry::Quaternion q = geometry::random_orientations(1, 42)[0];
  const double shift[3] = {1.3, -2.0, 0.6};
  for (bool mirror : {false, true}) {
    const std::vector<double> moved =
        shift_density(rotate_density(reference, m, geometry::rotation_matrix(q), mirror), m, shift, 1);
    runtime::ThreadPool pool(2);
    AlignmentOptions options;
    options.coarse_rotations = 1000;
    const Alignment a = align_density(moved, reference, m, options, pool);
    SCOPED_TRACE(mirror);
    EXPECT_EQ(a.inverted, mirror);
    EXPECT_GT(a.cc, 0.97);  // two trilinear resamplings smooth the map a little
    EXPECT_LT(correlation(moved, reference), 0.7);
  }
}

TEST(DensityAlignment, ShiftIsCircularAndExactForIntegerSteps) {
  const std::size_t m = 9;
  std::vector<double> d(m * m * m, 0.0);
  d[4 + m * (4 + m * 4)] = 1;
  const double shift[3] = {2, -1, 0};
  const std::vector<double> s = shift_density(d, m, shift, 1);
  EXPECT_NEAR(s[6 + m * (3 + m * 4)], 1.0, 1e-12);
  EXPECT_NEAR(correlation(d, d), 1.0, 1e-12);
}

TEST(Fsc, IdenticalMapsCorrelateInEveryShell) {
  const std::size_t m = 21;
  const std::vector<double> d = test_density(m);
  const FscCurve c = fourier_shell_correlation(d, d, m, 2.0, 1);
  ASSERT_EQ(c.fsc.size(), 11u);
  for (std::size_t k = 0; k < c.fsc.size(); ++k) EXPECT_NEAR(c.fsc[k], 1.0, 1e-9) << k;
  EXPECT_FALSE(c.crossed);
  EXPECT_NEAR(c.frequency[1], 1.0 / 42, 1e-12);
  EXPECT_NEAR(c.resolution, 42.0 / 10, 1e-9);
}

TEST(Fsc, CrossesWhereTwoMapsStopSharingDetail) {
  const std::size_t m = 31, m3 = m * m * m, cut = 8;
  std::vector<double> a(m3), noise(m3);
  for (std::size_t k = 0; k < m3; ++k) {
    a[k] = std::sin(0.7 * static_cast<double>(k)) + std::cos(1.3 * static_cast<double>(k * k % 1009));
    noise[k] = std::sin(2.1 * static_cast<double>(k) + 0.3 * static_cast<double>(k * k % 997));
  }
  // b shares a's coefficients up to shell `cut` and has unrelated ones beyond.
  const auto fa = reciprocal_from_real_space(std::vector<std::complex<double>>(a.begin(), a.end()), m, 1);
  const auto fn = reciprocal_from_real_space(std::vector<std::complex<double>>(noise.begin(), noise.end()), m, 1);
  std::vector<std::complex<double>> fb(m3);
  const double c = static_cast<double>(m / 2);
  for (std::size_t z = 0; z < m; ++z)
    for (std::size_t y = 0; y < m; ++y)
      for (std::size_t x = 0; x < m; ++x) {
        const double r = std::hypot(static_cast<double>(x) - c, static_cast<double>(y) - c, static_cast<double>(z) - c);
        const std::size_t k = x + m * (y + m * z);
        fb[k] = std::lround(r) <= static_cast<long>(cut) ? fa[k] : fn[k];
      }
  const auto bc = real_space_from_reciprocal(fb, m, 1);
  std::vector<double> b(m3);
  for (std::size_t k = 0; k < m3; ++k) b[k] = bc[k].real();
  const FscCurve curve = fourier_shell_correlation(a, b, m, 1.0, 1);
  for (std::size_t k = 0; k <= cut; ++k) EXPECT_NEAR(curve.fsc[k], 1.0, 1e-9) << k;
  for (std::size_t k = cut + 1; k < curve.fsc.size(); ++k) EXPECT_LT(std::abs(curve.fsc[k]), 0.2) << k;
  EXPECT_TRUE(curve.crossed);
  const double unit = 1.0 / 31;
  EXPECT_GT(curve.resolution, 1.0 / ((cut + 1) * unit));
  EXPECT_LT(curve.resolution, 1.0 / (cut * unit));
}

TEST(DensityAlignment, ResamplingOntoTheSameGridIsTheIdentity) {
  const std::size_t m = 15;
  const std::vector<double> d = test_density(m);
  const std::vector<double> same = resample_density(d, m, 2.0, m, 2.0);
  for (std::size_t k = 0; k < d.size(); ++k) EXPECT_NEAR(same[k], d[k], 1e-12);
  // Half the voxel on a grid twice as large: every other voxel is an original one.
  const std::vector<double> fine = resample_density(d, m, 2.0, 29, 1.0);
  EXPECT_NEAR(fine[14 + 29 * (14 + 29 * 14)], d[7 + m * (7 + m * 7)], 1e-12);
  EXPECT_NEAR(fine[16 + 29 * (14 + 29 * 12)], d[8 + m * (7 + m * 6)], 1e-12);
}

}  // namespace
}  // namespace xpulse::spi
