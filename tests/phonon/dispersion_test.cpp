// Dispersion binning and Brillouin-zone paths.
#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "core/error.h"
#include "phonon/brillouin_path.h"
#include "phonon/dispersion_binning.h"
#include "phonon/fit_quality.h"

namespace xpulse::phonon {
namespace {

TEST(DispersionBinning, WeightedMeanWithBirgeRatio) {
  const BinEdges edges{0.0, 1.0, 2};
  // Bin 0: two values with sigma 1 and 2 -> weights 1 and 1/4; bin 1: one value; a NaN and an outside value.
  const std::vector<double> q = {0.1, 0.2, 0.7, 0.3, 1.5};
  const std::vector<double> f = {1.0, 2.0, 5.0, NAN, 9.0};
  const std::vector<double> s = {1.0, 2.0, 0.5, 1.0, 1.0};
  const BinnedDispersion b = bin_dispersion(edges, q, f, s);
  ASSERT_EQ(b.count, (std::vector<std::uint64_t>{2, 1}));
  const double mean = (1.0 + 2.0 / 4) / 1.25;  // 1.2
  EXPECT_NEAR(b.frequency[0], mean, 1e-12);
  // chi2 = ((1 - 1.2)^2 / 1 + (2 - 1.2)^2 / 4) / 1 = 0.2 < 1: no inflation.
  EXPECT_NEAR(b.frequency_err[0], std::sqrt(1 / 1.25), 1e-12);
  EXPECT_NEAR(b.q_mean[0], (0.1 + 0.2 / 4) / 1.25, 1e-12);  // weighted like the frequency
  EXPECT_NEAR(b.frequency[1], 5.0, 1e-12);
  EXPECT_NEAR(b.frequency_err[1], 0.5, 1e-12);
  EXPECT_NEAR(b.q_center[1], 0.75, 1e-12);
  // Values far apart for their errors: the error grows by the Birge ratio sqrt(chi2 / (n - 1)).
  const BinnedDispersion spread = bin_dispersion(BinEdges{0, 1, 1}, std::vector<double>{0.5, 0.5},
                                                 std::vector<double>{0.0, 10.0}, std::vector<double>{1.0, 1.0});
  EXPECT_NEAR(spread.frequency_err[0], std::sqrt(0.5) * std::sqrt(50.0), 1e-12);
}

TEST(DispersionBinning, EmptyBinsAreNanAndEdgesValidate) {
  const BinnedDispersion b = bin_dispersion(BinEdges{0, 1, 3}, std::vector<double>{0.9}, std::vector<double>{2.0},
                                            std::vector<double>{0.1});
  EXPECT_TRUE(std::isnan(b.frequency[0]));
  EXPECT_EQ(b.count[0], 0u);
  EXPECT_EQ(b.count[2], 1u);
  EXPECT_EQ((BinEdges{0, 1, 4}.index(1.0)), 3);
  EXPECT_EQ((BinEdges{0, 1, 4}.index(NAN)), -1);
  EXPECT_THROW((BinEdges{1, 1, 4}.validate()), InvalidArgument);
  EXPECT_THROW((BinEdges{0, 1, 0}.validate()), InvalidArgument);
}

TEST(BrillouinPath, ParsesLabelsAndCoordinates) {
  const auto p = parse_path("G X m Gamma 0.25,0.25,0.5");
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].label, "Γ");
  EXPECT_EQ(p[2].hkl, (geometry::Vec3{0.5, 0.5, 0}));
  EXPECT_EQ(p[4].hkl, (geometry::Vec3{0.25, 0.25, 0.5}));
  EXPECT_THROW(parse_path("G"), InvalidArgument);
  try {
    parse_path("G Q");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "--path point 'Q' is neither a label (G, X, Y, Z, M, R) nor coordinates h,k,l");
  }
  EXPECT_THROW(parse_path("G 0.5,0"), InvalidArgument);
}

TEST(BrillouinPath, LocatesSymmetryEquivalentWavevectors) {
  const geometry::Crystal cubic(geometry::UnitCell{4, 4, 4, 90, 90, 90}, geometry::rotation_xyz_deg(5, 10, 15));
  const BrillouinPath path(cubic, parse_path("G X M G"), 0.02);
  const double a_star = 2 * std::numbers::pi / 4;
  EXPECT_NEAR(path.vertex_positions()[1], 0.5 * a_star, 1e-12);
  EXPECT_NEAR(path.length(), (1.0 + std::sqrt(0.5)) * a_star, 1e-12);
  // (0, -0.3, 0) is equivalent to (0.3, 0, 0) on G-X; (0.5, 0.2, 0) lies on X-M; (-0.2, 0.2, 0) on M-G.
  EXPECT_NEAR(path.locate({0, -0.3, 0}), 0.3 * a_star, 1e-12);
  EXPECT_NEAR(path.locate({0, 0, 0.5}), 0.5 * a_star, 1e-12);
  EXPECT_NEAR(path.locate({0.5, 0.2, 0}), 0.7 * a_star, 1e-12);
  EXPECT_NEAR(path.locate({-0.2, 0.2, 0}), path.length() - std::sqrt(0.08) * a_star, 1e-12);
  EXPECT_TRUE(std::isnan(path.locate({0.25, 0.25, 0.25})));  // on G-R, not on this path
  EXPECT_THROW(BrillouinPath(cubic, parse_path("G G"), 0.02), InvalidArgument);
  EXPECT_THROW(BrillouinPath(cubic, parse_path("G X"), 0.0), InvalidArgument);
}

TEST(FitQuality, AcceptsOnlyWellFittedPixels) {
  FitQuality q;
  q.max_chi2 = 10;
  q.min_snr = 5;
  EXPECT_TRUE(q.accepts(0, 2.0f, 100.0f, 10.0f, 1.5f, 0.01f));
  EXPECT_FALSE(q.accepts(1, 2.0f, 100.0f, 10.0f, 1.5f, 0.01f));    // status
  EXPECT_FALSE(q.accepts(0, 20.0f, 100.0f, 10.0f, 1.5f, 0.01f));   // chi2
  EXPECT_FALSE(q.accepts(0, 2.0f, 40.0f, 10.0f, 1.5f, 0.01f));     // SNR 4
  EXPECT_FALSE(q.accepts(0, 2.0f, 100.0f, NAN, 1.5f, 0.01f));      // unknown error
  EXPECT_FALSE(q.accepts(0, 2.0f, 100.0f, 10.0f, NAN, 0.01f));
  q.accepted_status = parse_statuses("converged, 1");
  EXPECT_TRUE(q.accepts(1, 2.0f, 100.0f, 10.0f, 1.5f, 0.01f));
  EXPECT_THROW(parse_statuses("converged,fine"), InvalidArgument);
  FitQuality none;
  none.accepted_status = {};
  EXPECT_THROW(none.validate(), InvalidArgument);
}

}  // namespace
}  // namespace xpulse::phonon
