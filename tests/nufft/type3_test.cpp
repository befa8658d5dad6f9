// The type 3 NUFFT against the direct sum, and its errors.
#include "nufft/type3.h"

#include <cmath>
#include <complex>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"

namespace xpulse::nufft {
namespace {

using cd = std::complex<double>;

struct Sources {
  std::vector<double> x[3];
  std::vector<cd> c;
};

std::vector<cd> direct(const Sources& src, const std::vector<double> (&s)[3], int sign) {
  std::vector<cd> f(s[0].size(), cd(0));
  for (std::size_t q = 0; q < f.size(); ++q) {
    for (std::size_t j = 0; j < src.c.size(); ++j) {
      const double phase = s[0][q] * src.x[0][j] + s[1][q] * src.x[1][j] + s[2][q] * src.x[2][j];
      f[q] += src.c[j] * std::polar(1.0, sign * phase);
    }
  }
  return f;
}

double relative_l2(const std::vector<cd>& got, const std::vector<cd>& want) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < want.size(); ++i) num += std::norm(got[i] - want[i]), den += std::norm(want[i]);
  return std::sqrt(num / den);
}

TEST(Type3Nufft, MatchesTheDirectSumWithinTenEps) {
  std::mt19937_64 rng(4);
  // Sources in a box away from the origin; targets filling their bounds, including the corners.
  const double lo[3] = {10, -3, 0}, hi[3] = {14, 5, 2};
  const std::array<double, 3> smax = {5, 8, 3};
  Sources src;
  for (int d = 0; d < 3; ++d) {
    std::uniform_real_distribution<double> u(lo[d], hi[d]);
    for (int j = 0; j < 300; ++j) src.x[d].push_back(u(rng));
  }
  std::uniform_real_distribution<double> v(-1, 1);
  for (int j = 0; j < 300; ++j) src.c.emplace_back(v(rng), v(rng));
  std::vector<double> s[3];
  for (int d = 0; d < 3; ++d) {
    for (int q = 0; q < 400; ++q) s[d].push_back(smax[d] * v(rng));
    s[d].push_back(smax[d]);
    s[d].push_back(-smax[d]);
  }
  for (int sign : {+1, -1}) {
    const std::vector<cd> want = direct(src, s, sign);
    for (double eps : {1e-3, 1e-6, 1e-9, 1e-12}) {
      Type3Transform t3(smax, eps, sign, 2);
      t3.set_sources(src.c.size(), src.x[0].data(), src.x[1].data(), src.x[2].data(), src.c.data());
      std::vector<cd> got(want.size());
      t3.evaluate(got.size(), s[0].data(), s[1].data(), s[2].data(), got.data());
      EXPECT_LE(relative_l2(got, want), 10 * eps) << "sign " << sign << " eps " << eps;
    }
  }
}

TEST(Type3Nufft, OneSourceAndZeroFrequencyAreExact) {
  const double x = 3.5, y = -1, z = 2;
  const cd c(2, 1);
  Type3Transform t3({0, 4, 4}, 1e-9);
  t3.set_sources(1, &x, &y, &z, &c);
  const double sx[2] = {0, 0}, sy[2] = {0, 1.5}, sz[2] = {0, -4};
  cd f[2];
  t3.evaluate(2, sx, sy, sz, f);
  EXPECT_NEAR(std::abs(f[0] - c), 0, 1e-8);
  EXPECT_NEAR(std::abs(f[1] - c * std::polar(1.0, 1.5 * y - 4 * z)), 0, 1e-8);
}

TEST(Type3Nufft, BadInputIsAClearError) {
  Type3Transform t3({1, 1, 1}, 1e-6);
  const double x = 0, s = 0.5, far = 1.5;
  const cd c(1, 0);
  cd f;
  EXPECT_THROW(t3.evaluate(1, &s, &s, &s, &f), InvalidArgument);
  t3.set_sources(1, &x, &x, &x, &c);
  try {
    t3.evaluate(1, &s, &far, &s, &f);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "type 3 NUFFT target 0 has frequency 1.5 outside [-1, 1] in dimension y");
  }
  EXPECT_THROW(Type3Transform({1, -1, 1}, 1e-6), InvalidArgument);
  EXPECT_THROW(Type3Transform({1, 1, 1}, 0.0), InvalidArgument);
}

}  // namespace
}  // namespace xpulse::nufft
