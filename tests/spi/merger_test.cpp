// Merging: the Toeplitz convolution equals type 2 then type 1; exact slices of a known autocorrelation are merged
// back into it; the L-curve corner of a made-up curve.
#include "spi/merger.h"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "centred_grid.h"

#include "core/error.h"
#include "geometry/quaternion.h"
#include "sim/random.h"
#include "spi/slicer.h"

namespace xpulse::spi {
namespace {

// A smooth, even (Friedel-symmetric) test autocorrelation on the M^3 grid.
std::vector<double> test_autocorrelation(std::size_t m) {
  return centred_grid(m, [](double dx, double dy, double dz) {
    return std::exp(-(dx * dx + 2 * dy * dy + 0.5 * dz * dz) / 6) +
           0.3 * std::exp(-((dx - 2) * (dx - 2) + dy * dy + dz * dz) / 3) +
           0.3 * std::exp(-((dx + 2) * (dx + 2) + dy * dy + dz * dz) / 3);
  });
}

// Points of many random orientations of a flat 2D grid of q (radius up to the grid's limit).
struct Points {
  std::vector<double> x, y, z;
};
Points random_slices(std::size_t m, std::size_t orientations, std::size_t side) {
  Points p;
  const double limit = std::numbers::pi * static_cast<double>(m - 1) / static_cast<double>(m) * 0.7;
  for (const auto& q : geometry::random_orientations(orientations, 3)) {
    const geometry::Mat3 r = geometry::rotation_matrix(q);
    for (std::size_t i = 0; i < side; ++i)
      for (std::size_t j = 0; j < side; ++j) {
        const double u = (static_cast<double>(i) / static_cast<double>(side - 1) * 2 - 1) * limit;
        const double v = (static_cast<double>(j) / static_cast<double>(side - 1) * 2 - 1) * limit;
        p.x.push_back(r[0][0] * u + r[0][1] * v);
        p.y.push_back(r[1][0] * u + r[1][1] * v);
        p.z.push_back(r[2][0] * u + r[2][1] * v);
      }
  }
  return p;
}

std::vector<double> slice_values(const std::vector<double>& a, std::size_t m, const Points& p) {
  nufft::Plan<double> plan(2, std::vector<std::size_t>{m, m, m}, 1e-10, {+1, 2});
  plan.set_points(p.x.size(), p.x.data(), p.y.data(), p.z.data());
  std::vector<std::complex<double>> modes(a.begin(), a.end()), out(p.x.size());
  plan.execute(out.data(), modes.data());
  std::vector<double> values(out.size());
  for (std::size_t j = 0; j < out.size(); ++j) values[j] = out[j].real();
  return values;
}

TEST(Merger, ExactSlicesMergeBackIntoTheAutocorrelation) {
  const std::size_t m = 15;
  const std::vector<double> truth = test_autocorrelation(m);
  const Points p = random_slices(m, 600, 15);
  const std::vector<double> values = slice_values(truth, m, p);
  Merger merger(m, 1e-9, 2);
  // Two batches: A^H b and the kernel are sums over points.
  const std::size_t half = values.size() / 2;
  merger.add(half, p.x.data(), p.y.data(), p.z.data(), values.data());
  merger.add(values.size() - half, p.x.data() + half, p.y.data() + half, p.z.data() + half, values.data() + half);
  EXPECT_EQ(merger.points(), values.size());
  MergeOptions options;
  options.lambdas = {1e-8};
  options.max_iterations = 400;
  options.tolerance = 1e-10;
  const MergeResult r = merger.solve(std::vector<double>(m * m * m, 0.0), options);
  ASSERT_EQ(r.candidates.size(), 1u);
  // The slices reach only |x| <= 0.7 pi: compare what they determine, the slices themselves.
  const std::vector<double> refit = slice_values(r.candidates[0].autocorrelation, m, p);
  double err = 0, norm = 0;
  for (std::size_t j = 0; j < values.size(); ++j) err += std::pow(refit[j] - values[j], 2), norm += values[j] * values[j];
  EXPECT_LT(std::sqrt(err / norm), 1e-4);
  EXPECT_LT(r.candidates[0].residual, 1e-4);
}

TEST(Merger, LargerLambdaPullsTowardsTheStartAndFitsWorse) {
  const std::size_t m = 11;
  const std::vector<double> truth = test_autocorrelation(m);
  const Points p = random_slices(m, 200, 11);
  const std::vector<double> values = slice_values(truth, m, p);
  Merger merger(m, 1e-9, 1);
  merger.add(values.size(), p.x.data(), p.y.data(), p.z.data(), values.data());
  MergeOptions options;
  options.lambdas = {1.0, 1e-2, 1e-4};
  options.max_iterations = 200;
  const MergeResult r = merger.solve(std::vector<double>(m * m * m, 0.0), options);
  ASSERT_EQ(r.candidates.size(), 3u);
  EXPECT_GT(r.candidates[0].residual, r.candidates[1].residual);
  EXPECT_GT(r.candidates[1].residual, r.candidates[2].residual);
  EXPECT_LT(r.candidates[0].norm, r.candidates[1].norm);
  EXPECT_LT(r.candidates[1].norm, r.candidates[2].norm);
}

TEST(Merger, BadInputIsRefused) {
  Merger merger(9, 1e-6, 1);
  EXPECT_THROW(merger.solve(std::vector<double>(729, 0.0), {}), InvalidArgument);  // no points
  const double x = 0.1, y = 0.2, z = 0.3, v = 1;
  merger.add(1, &x, &y, &z, &v);
  MergeOptions none;
  none.lambdas = {};
  EXPECT_THROW(merger.solve(std::vector<double>(729, 0.0), none), InvalidArgument);
  MergeOptions negative;
  negative.lambdas = {-1};
  EXPECT_THROW(merger.solve(std::vector<double>(729, 0.0), negative), InvalidArgument);
  EXPECT_THROW(merger.solve(std::vector<double>(5, 0.0), {}), InvalidArgument);
  EXPECT_THROW(Merger(10, 1e-6, 1), InvalidArgument);
}

TEST(LCurve, TheCornerIsNearestTheOriginOfTheScaledCurve) {
  // residual falls steeply then flattens, norm grows slowly then steeply: the corner is the third.
  std::vector<MergeCandidate> c(5);
  const double residual[5] = {1.0, 0.3, 0.1, 0.09, 0.085}, norm[5] = {1.0, 1.1, 1.2, 3.0, 10.0};
  for (int i = 0; i < 5; ++i) c[i].residual = residual[i], c[i].norm = norm[i];
  EXPECT_EQ(l_curve_corner(c), 2u);
  EXPECT_EQ(l_curve_corner(std::vector<MergeCandidate>(c.begin(), c.begin() + 1)), 0u);
}

}  // namespace
}  // namespace xpulse::spi
