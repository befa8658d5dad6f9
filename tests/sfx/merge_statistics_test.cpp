// Merge statistics on a table small enough to check by hand, and the shells' edges.
#include "sfx/merge_statistics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace xpulse::sfx {
namespace {

// Four reflections in one shell (d 10..2 A), five possible.
//   halves (10, 12), (20, 18), (30, 33), (5, 4):
//     means 16.25 and 16.75; deviations (-6.25, 3.75, 13.75, -11.25) and (-4.75, 1.25, 16.25, -12.75);
//     sum of products 401.25, sums of squares 368.75 and 450.75: CC1/2 = 401.25 / sqrt(368.75 x 450.75) = 0.984195;
//     CC* = sqrt(2 x 0.984195 / 1.984195) = 0.996009;
//     Rsplit = (2 + 2 + 3 + 1) / (sqrt 2 x (22 + 38 + 63 + 9) / 2) = 8 / (sqrt 2 x 66) = 0.085710.
//   merged I (11, 19, 31.5, 4.5) with sigma (1, 2, 3, 0.5): <I/sigma> = (11 + 9.5 + 10.5 + 9) / 4 = 10;
//   observations 3 + 2 + 4 + 2 = 11: multiplicity 2.75; completeness 4 / 5 = 0.8;
//   sigma-tau: var_y = sample variance of (11, 19, 31.5, 4.5) = 405.5 / 3 = 135.1667 and var_e = 1:
//     CC1/2 = 134.1667 / 136.1667 = 0.985312.
TEST(MergeStatistics, KnownAnswersOfAHandCheckedTable) {
  const std::vector<ReflectionSummary> table = {
      {5.0, 11, 1, 3, 10, 12, 1}, {4.0, 19, 2, 2, 20, 18, 1}, {3.0, 31.5, 3, 4, 30, 33, 1}, {2.5, 4.5, 0.5, 2, 5, 4, 1}};
  const std::vector<double> edges = {10, 2};
  const std::vector<std::size_t> possible = {5};
  const MergeStatistics s = merge_statistics(table, edges, possible);
  ASSERT_EQ(s.shells.size(), 1u);
  const ShellStatistics& x = s.shells[0];
  EXPECT_EQ(x.unique, 4u);
  EXPECT_EQ(x.observations, 11u);
  EXPECT_EQ(x.pairs, 4u);
  EXPECT_DOUBLE_EQ(x.completeness, 0.8);
  EXPECT_DOUBLE_EQ(x.multiplicity, 2.75);
  EXPECT_DOUBLE_EQ(x.mean_i_over_sigma, 10);
  EXPECT_NEAR(x.cc_half, 0.9841950200843688, 1e-12);
  EXPECT_NEAR(x.cc_star, 0.9960093188611859, 1e-12);
  EXPECT_NEAR(x.r_split, 0.08570991287109667, 1e-12);
  EXPECT_NEAR(x.cc_half_sigma_tau, 0.98531211750306, 1e-12);
  EXPECT_DOUBLE_EQ(s.overall.cc_half, x.cc_half);
}

TEST(MergeStatistics, AReflectionInOneHalfOnlyCountsButIsNotPaired) {
  const double nan = std::nan("");
  const std::vector<ReflectionSummary> table = {{5, 10, 1, 1, 10, nan, nan}, {4, 20, 1, 2, 19, 21, 2}};
  const MergeStatistics s = merge_statistics(table, std::vector<double>{10, 2}, std::vector<std::size_t>{2});
  EXPECT_EQ(s.shells[0].unique, 2u);
  EXPECT_EQ(s.shells[0].pairs, 1u);
  EXPECT_TRUE(std::isnan(s.shells[0].cc_half));       // one pair: no correlation
  EXPECT_TRUE(std::isnan(s.shells[0].cc_half_sigma_tau));  // one reflection with a spread
}

TEST(MergeStatistics, ShellsHaveEqualReciprocalVolumes) {
  const std::vector<double> e = shell_edges(20, 2, 5);
  ASSERT_EQ(e.size(), 6u);
  EXPECT_DOUBLE_EQ(e.front(), 20);
  EXPECT_DOUBLE_EQ(e.back(), 2);
  for (std::size_t i = 0; i + 1 < e.size(); ++i) {
    EXPECT_NEAR(std::pow(e[i + 1], -3) - std::pow(e[i], -3), (std::pow(2, -3) - std::pow(20, -3)) / 5, 1e-12);
  }
  EXPECT_EQ(shell_of(20, e), 0);
  EXPECT_EQ(shell_of(2, e), 4);
  EXPECT_EQ(shell_of(1.9, e), -1);
  EXPECT_EQ(shell_of(e[1], e), 1);  // an edge belongs to the higher-resolution shell
}

}  // namespace
}  // namespace xpulse::sfx
