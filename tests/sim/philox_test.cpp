// Philox4x32-10 against Random123's known-answer vectors (tests/kat_vectors there), and the uniform doubles drawn
// from it.
#include "sim/philox.h"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

namespace xpulse::sim {
namespace {

TEST(Philox4x32, MatchesRandom123KnownAnswers) {
  using B = Philox4x32::Block;
  EXPECT_EQ(Philox4x32::generate(B{0, 0, 0, 0}, 0, 0), (B{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(Philox4x32::generate(B{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, 0xffffffff, 0xffffffff),
            (B{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(Philox4x32::generate(B{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0),
            (B{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(CounterStream, UniformsAreAFunctionOfTheStreamAndLookUniform) {
  CounterStream a(7, 3, 11), b(7, 3, 11), other_pixel(7, 3, 12), other_frame(7, 4, 11), other_seed(8, 3, 11);
  std::set<double> firsts;
  for (auto* s : {&other_pixel, &other_frame, &other_seed}) firsts.insert(s->uniform());
  const double first = a.uniform();
  EXPECT_EQ(first, b.uniform());
  firsts.insert(first);
  EXPECT_EQ(firsts.size(), 4u);
  // Moments of many draws from one stream (crossing many Philox blocks): mean 1/2, variance 1/12.
  const int n = 400000;
  double sum = 0, sum2 = 0, low = 1, high = 0;
  for (int i = 0; i < n; ++i) {
    const double u = a.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u, sum2 += u * u, low = std::min(low, u), high = std::max(high, u);
  }
  const double mean = sum / n, variance = sum2 / n - mean * mean;
  EXPECT_NEAR(mean, 0.5, 5 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(variance, 1.0 / 12, 5 * std::sqrt(1.0 / 180 / n));
  EXPECT_LT(low, 1e-4);
  EXPECT_GT(high, 1 - 1e-4);
}

}  // namespace
}  // namespace xpulse::sim
