// The NUFFT against a direct non-uniform DFT, its adjointness, and its bad-input errors.
#include "nufft/plan.h"

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"

namespace xpulse::nufft {
namespace {

using cd = std::complex<double>;
constexpr double kPi = std::numbers::pi;

struct Problem {
  std::vector<std::size_t> modes;
  std::vector<double> x[3];
  std::vector<cd> c;  // strengths (type 1 input)
  std::vector<cd> f;  // modes (type 2 input)
};

// Random points in [-pi, pi), plus the edge cases: exactly -pi, just below pi, and one folded from [pi, 3 pi).
Problem make_problem(std::vector<std::size_t> modes, std::size_t n, unsigned seed) {
  Problem p;
  p.modes = std::move(modes);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-kPi, kPi), v(-1.0, 1.0);
  std::size_t total = 1;
  for (std::size_t m : p.modes) total *= m;
  for (std::size_t d = 0; d < p.modes.size(); ++d) {
    p.x[d].resize(n);
    for (double& x : p.x[d]) x = u(rng);
    p.x[d][0] = -kPi;
    p.x[d][1] = std::nextafter(kPi, 0.0);
    p.x[d][2] = 2.5 * kPi;
  }
  p.c.resize(n);
  for (cd& c : p.c) c = {v(rng), v(rng)};
  p.f.resize(total);
  for (cd& f : p.f) f = {v(rng), v(rng)};
  return p;
}

// k of each mode index (centered order), dimension d.
std::ptrdiff_t k_of(std::size_t i, std::size_t n) { return static_cast<std::ptrdiff_t>(i) - static_cast<std::ptrdiff_t>(n / 2); }

// Direct sums: type 1 -> modes, type 2 -> points.
std::vector<cd> direct(const Problem& p, int type, int sign) {
  const std::size_t dims = p.modes.size(), n = p.c.size();
  const std::size_t m1 = p.modes[0], m2 = dims > 1 ? p.modes[1] : 1, m3 = dims > 2 ? p.modes[2] : 1;
  std::vector<cd> out(type == 1 ? m1 * m2 * m3 : n, cd(0));
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t i3 = 0; i3 < m3; ++i3) {
      for (std::size_t i2 = 0; i2 < m2; ++i2) {
        for (std::size_t i1 = 0; i1 < m1; ++i1) {
          double phase = static_cast<double>(k_of(i1, m1)) * p.x[0][j];
          if (dims > 1) phase += static_cast<double>(k_of(i2, m2)) * p.x[1][j];
          if (dims > 2) phase += static_cast<double>(k_of(i3, m3)) * p.x[2][j];
          const cd e = std::polar(1.0, sign * phase);
          const std::size_t k = (i3 * m2 + i2) * m1 + i1;
          if (type == 1) out[k] += p.c[j] * e;
          else out[j] += p.f[k] * e;
        }
      }
    }
  }
  return out;
}

template <class T>
std::vector<cd> run(const Problem& p, int type, int sign, double eps, unsigned threads) {
  std::vector<T> x[3];
  for (std::size_t d = 0; d < p.modes.size(); ++d) x[d].assign(p.x[d].begin(), p.x[d].end());
  Plan<T> plan(type, p.modes, eps, {sign, threads});
  plan.set_points(p.c.size(), x[0].data(), p.modes.size() > 1 ? x[1].data() : nullptr,
                  p.modes.size() > 2 ? x[2].data() : nullptr);
  std::vector<std::complex<T>> c(p.c.begin(), p.c.end()), f(p.f.begin(), p.f.end());
  plan.execute(c.data(), f.data());
  const auto& out = type == 1 ? f : c;
  return {out.begin(), out.end()};
}

double relative_l2(const std::vector<cd>& got, const std::vector<cd>& want) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    num += std::norm(got[i] - want[i]);
    den += std::norm(want[i]);
  }
  return std::sqrt(num / den);
}

struct Case {
  std::vector<std::size_t> modes;
  std::size_t points;
};

// {8, 8, 25}: a fine grid of 50 cells in the slowest dimension, whose last 16-cell bin layer holds only 2
// cells, so wide kernels reach across it from two layers away.
const std::vector<Case> kCases = {{{33}, 300},         {{64}, 300},     {{17, 12}, 400}, {{10, 15}, 400},
                                  {{12, 11, 10}, 400}, {{9, 9, 9}, 300}, {{8, 8, 25}, 400}};

template <class T>
void check_accuracy(const std::vector<double>& tolerances, double floor) {
  for (const Case& cs : kCases) {
    const Problem p = make_problem(cs.modes, cs.points, 7 + static_cast<unsigned>(cs.modes.size()));
    for (int sign : {+1, -1}) {
      const std::vector<cd> want1 = direct(p, 1, sign), want2 = direct(p, 2, sign);
      for (double eps : tolerances) {
        const double bound = std::max(10 * eps, floor);
        const double e1 = relative_l2(run<T>(p, 1, sign, eps, 2), want1);
        const double e2 = relative_l2(run<T>(p, 2, sign, eps, 2), want2);
        EXPECT_LE(e1, bound) << "type 1, " << cs.modes.size() << "D N0=" << cs.modes[0] << " sign " << sign
                             << " eps " << eps;
        EXPECT_LE(e2, bound) << "type 2, " << cs.modes.size() << "D N0=" << cs.modes[0] << " sign " << sign
                             << " eps " << eps;
      }
    }
  }
}

TEST(Nufft, DoubleMatchesTheDirectSumWithinTenEps) { check_accuracy<double>({1e-2, 1e-4, 1e-6, 1e-9, 1e-12}, 0); }

TEST(Nufft, FloatMatchesTheDirectSumWithinTenEps) { check_accuracy<float>({1e-2, 1e-4, 1e-5}, 1e-5); }

TEST(Nufft, TypesOneAndTwoAreAdjoint) {
  // <type2(f), c> = <f, type1(c)>, type 1 with the opposite sign (its adjoint): both are
  // sum_j,k conj(c_j) f_k exp(i s k.x_j).
  for (const auto& modes : std::vector<std::vector<std::size_t>>{{40}, {16, 13}, {14, 12, 11}}) {
    const Problem p = make_problem(modes, 500, 3);
    const std::vector<cd> c2 = run<double>(p, 2, +1, 1e-9, 2);
    const std::vector<cd> f1 = run<double>(p, 1, -1, 1e-9, 2);
    cd lhs = 0, rhs = 0;
    for (std::size_t j = 0; j < p.c.size(); ++j) lhs += std::conj(p.c[j]) * c2[j];
    for (std::size_t k = 0; k < p.f.size(); ++k) rhs += std::conj(f1[k]) * p.f[k];
    EXPECT_LE(std::abs(lhs - rhs) / std::abs(lhs), 1e-12) << modes.size() << "D";
  }
}

TEST(Nufft, FftOrderIsTheCenteredOrderRotated) {
  const Problem p = make_problem({10, 9}, 200, 5);
  std::vector<double> x(p.x[0]), y(p.x[1]);
  std::vector<cd> c(p.c), centered(90), fft(90);
  Plan<double> a(1, p.modes, 1e-9), b(1, p.modes, 1e-9, {+1, 1, ModeOrder::fft});
  a.set_points(c.size(), x.data(), y.data());
  b.set_points(c.size(), x.data(), y.data());
  a.execute(c.data(), centered.data());
  b.execute(c.data(), fft.data());
  for (std::size_t i2 = 0; i2 < 9; ++i2) {
    for (std::size_t i1 = 0; i1 < 10; ++i1) {
      const std::ptrdiff_t k1 = static_cast<std::ptrdiff_t>(i1) - 5, k2 = static_cast<std::ptrdiff_t>(i2) - 4;
      const std::size_t j1 = static_cast<std::size_t>((k1 + 10) % 10), j2 = static_cast<std::size_t>((k2 + 9) % 9);
      EXPECT_EQ(centered[i2 * 10 + i1], fft[j2 * 10 + j1]);
    }
  }
}

TEST(Nufft, ResultsDoNotDependOnTheThreadCount) {
  const Problem p = make_problem({40, 36, 50}, 20000, 9);
  for (int type : {1, 2}) {
    const std::vector<cd> one = run<double>(p, type, +1, 1e-6, 1), two = run<double>(p, type, +1, 1e-6, 2);
    EXPECT_EQ(one, two) << "type " << type;
  }
}

void expect_invalid(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error; expected " << needle;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Nufft, BadInputIsAClearError) {
  const std::vector<std::size_t> zero = {8, 0, 8}, ok = {8, 8}, four = {2, 2, 2, 2};
  expect_invalid([&] { Plan<double>(1, zero, 1e-6); }, "NUFFT modes N2 must be >= 1");
  expect_invalid([&] { Plan<double>(1, four, 1e-6); }, "NUFFT dimensions must be 1, 2 or 3, not 4");
  expect_invalid([&] { Plan<double>(3, ok, 1e-6); }, "NUFFT type must be 1 or 2, not 3");
  expect_invalid([&] { Plan<double>(1, ok, 0.0); }, "NUFFT tolerance eps = 0 is outside [1e-15, 0.1] for double");
  expect_invalid([&] { Plan<double>(1, ok, -1e-3); }, "outside [1e-15, 0.1]");
  expect_invalid([&] { Plan<double>(1, ok, 1e-16); }, "outside [1e-15, 0.1]");
  expect_invalid([&] { Plan<float>(1, ok, 1e-8); }, "NUFFT tolerance eps = 1e-08 is outside [1e-07, 0.1] for float");
  expect_invalid([&] { Plan<double>(1, ok, 1e-6, {2}); }, "NUFFT sign must be +1 or -1, not 2");
  Plan<double> plan(1, ok, 1e-6);
  std::vector<cd> c(3), f(64);
  expect_invalid([&] { plan.execute(c.data(), f.data()); }, "NUFFT execute before set_points");
  std::vector<double> x = {0.0, 1.0, 3 * kPi}, y = {0.0, 0.0, 0.0};
  expect_invalid([&] { plan.set_points(3, x.data(), y.data()); },
                 "non-uniform point 2 has coordinate 9.42477796076938 outside [-3 pi, 3 pi)");
  x[2] = std::nan("");
  expect_invalid([&] { plan.set_points(3, x.data(), y.data()); }, "non-uniform point 2 has coordinate nan");
  expect_invalid([&] { plan.execute(c.data(), f.data()); }, "NUFFT execute before set_points");
  expect_invalid([&] { plan.set_points(3, x.data(), nullptr); }, "coordinate y is missing for a 2D plan");
}

}  // namespace
}  // namespace xpulse::nufft
