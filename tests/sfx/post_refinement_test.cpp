// Post-refinement of one crystal against known intensities: observations drawn from a crystal turned slightly
// from its indexed orientation, with a profile width growing with resolution, are fitted back.
#include "sfx/post_refinement.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "geometry/lattice.h"

namespace xpulse::sfx {
namespace {

TEST(PostRefinement, RecoversRotationsWidthAndScale) {
  const geometry::UnitCell cell{61, 74, 89, 90, 90, 90};
  CrystalModel truth;
  truth.ub = cell.b_matrix(), truth.k = 1 / 1.3, truth.bandwidth = 0.002;
  truth.g = 1.7, truth.rx = 0.002, truth.ry = -0.0015, truth.rho = 2e-4, truth.eta = 2e-3;
  std::mt19937_64 random(9);
  std::exponential_distribution<double> wilson(1.0 / 300);
  std::normal_distribution<double> normal(0, 1);
  std::vector<PostRefinementTerm> terms;
  // Every reflection near the Ewald sphere of the true crystal, as a still records them.
  for (int h = -25; h <= 25; ++h) {
    for (int k = -25; k <= 25; ++k) {
      for (int l = -25; l <= 25; ++l) {
        const std::array<int, 3> hkl{h, k, l};
        const double p = model_partiality(truth, hkl, PartialityModel::offset);
        if (p < 0.05) continue;
        const geometry::Vec3 sv = geometry::mul(truth.ub, geometry::Vec3{double(h), double(k), double(l)});
        const double d = 1 / geometry::norm(sv), reference = wilson(random);
        const double expected = truth.g * p * reference, sigma = std::sqrt(expected + 10);
        terms.push_back({hkl, expected + sigma * normal(random), sigma, reference, d, 1.0});
      }
    }
  }
  ASSERT_GE(terms.size(), 150u);
  CrystalModel start = truth;
  start.g = 1, start.rx = 0, start.ry = 0, start.rho = 4e-4, start.eta = 1e-3;
  double before = 0, after = 0;
  const CrystalModel fit = post_refine(start, terms, PartialityModel::offset, {true, false, true}, &before, &after);
  EXPECT_LT(after, 1.3);  // chi^2 per observation near 1
  EXPECT_LT(after, 0.2 * before);
  EXPECT_NEAR(fit.g, truth.g, 0.05 * truth.g);
  EXPECT_NEAR(fit.rx, truth.rx, 2e-4);  // 0.01 degree
  EXPECT_NEAR(fit.ry, truth.ry, 2e-4);
  const double s = 0.25, width = std::hypot(truth.rho, truth.eta * s), fitted = std::hypot(fit.rho, fit.eta * s);
  EXPECT_NEAR(fitted, width, 0.1 * width);
}

TEST(PostRefinement, UnityRefinesOnlyTheScale) {
  CrystalModel start;
  start.ub = geometry::UnitCell{50, 50, 50, 90, 90, 90}.b_matrix(), start.k = 1, start.rho = 1e-3, start.eta = 1e-3;
  std::vector<PostRefinementTerm> terms;
  for (int i = 1; i <= 50; ++i) terms.push_back({{i, 0, 0}, 3.0 * i, 1.0, static_cast<double>(i), 5.0, 1.0});
  const CrystalModel fit = post_refine(start, terms, PartialityModel::unity, {true, false, true});
  EXPECT_NEAR(fit.g, 3.0, 1e-6);
  EXPECT_EQ(fit.rx, 0.0);
  EXPECT_EQ(fit.rho, start.rho);
}

}  // namespace
}  // namespace xpulse::sfx
