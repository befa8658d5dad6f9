#include "fit/vector_math.h"

#include <cmath>

#include <gtest/gtest.h>

namespace xpulse::fit {
namespace {

TEST(VectorMath, SinCosTurnsMatchesLibmOverAFullTurn) {
  double worst = 0.0;
  for (int i = -100000; i <= 100000; ++i) {
    const double u = 0.5 * i / 100000.0;
    float s;
    float c;
    sincos_turns(static_cast<float>(u), s, c);
    worst = std::max({worst, std::abs(s - std::sin(kTwoPi * u)), std::abs(c - std::cos(kTwoPi * u))});
  }
  EXPECT_LT(worst, 3e-7);
}

TEST(VectorMath, ReduceTurnsKeepsLargePhasesExact) {
  // 2 pi f t at f = 9.9 THz, t = 300 ps is 2970 turns: reduction in double loses nothing float can hold.
  const double turns = 9.9 * 300.0 + 0.123456789;
  EXPECT_NEAR(reduce_turns(turns), 0.123456789, 1e-7);
  EXPECT_NEAR(reduce_turns(-2.75), 0.25, 1e-7);
}

TEST(VectorMath, ExpNonPositiveRelativeError) {
  double worst = 0.0;
  for (int i = 0; i <= 200000; ++i) {
    const float x = -87.0f * static_cast<float>(i) / 200000.0f;
    const double ref = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(exp_nonpositive(x) - ref) / ref);
  }
  EXPECT_LT(worst, 4e-7);
  EXPECT_EQ(exp_nonpositive(0.0f), 1.0f);
  EXPECT_EQ(exp_nonpositive(-1000.0f), 0.0f);
}

TEST(VectorMath, SinCosTurnsDoubleMatchesLibmToAnUlp) {
  double worst = 0.0;
  for (int i = -100000; i <= 100000; ++i) {
    const double u = 0.5 * i / 100000.0;
    double s;
    double c;
    sincos_turns_double(u, s, c);
    worst = std::max({worst, std::abs(s - std::sin(kTwoPi * u)), std::abs(c - std::cos(kTwoPi * u))});
  }
  EXPECT_LT(worst, 5e-16);
}

TEST(VectorMath, ExpNonPositiveDoubleRelativeError) {
  double worst = 0.0;
  for (int i = 0; i <= 200000; ++i) {
    const double x = -700.0 * i / 200000.0;
    const double ref = std::exp(x);
    worst = std::max(worst, std::abs(exp_nonpositive_double(x) - ref) / ref);
  }
  EXPECT_LT(worst, 1e-15);
  EXPECT_EQ(exp_nonpositive_double(0.0), 1.0);
  EXPECT_EQ(exp_nonpositive_double(-1000.0), 0.0);
}

}  // namespace
}  // namespace xpulse::fit
