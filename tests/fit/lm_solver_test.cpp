// The generic LM on the classic test problems (REFERENCE.md section 1).
#include "fit/lm_solver.h"
#include "fit/vector_math.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace xpulse::fit {
namespace {

// Brown and Dennis: residual i (t = i / 5, i = 1..20) is
// (x1 + t x2 - e^t)^2 + (x3 + x4 sin t - cos t)^2; data are zero, so "value" is the residual.
struct BrownDennis {
  static constexpr int kParams = 4;
  static void evaluate_one(double t, const double* x, double& value, double* g) {
    const double u = x[0] + t * x[1] - std::exp(t);
    const double v = x[2] + x[3] * std::sin(t) - std::cos(t);
    value = u * u + v * v;
    g[0] = 2 * u;
    g[1] = 2 * u * t;
    g[2] = 2 * v;
    g[3] = 2 * v * std::sin(t);
  }
};

// Fletcher-Powell helical valley: three residuals selected by t = 0, 1, 2.
struct Helix {
  static constexpr int kParams = 3;
  static void evaluate_one(double t, const double* x, double& value, double* g) {
    const double r2 = x[0] * x[0] + x[1] * x[1];
    const double theta = std::atan2(x[1], x[0]) / kTwoPi;
    if (t == 0.0) {
      value = 10.0 * (x[2] - 10.0 * theta);
      g[0] = 100.0 * x[1] / (kTwoPi * r2);
      g[1] = -100.0 * x[0] / (kTwoPi * r2);
      g[2] = 10.0;
    } else if (t == 1.0) {
      const double r = std::sqrt(r2);
      value = 10.0 * (r - 1.0);
      g[0] = 10.0 * x[0] / r;
      g[1] = 10.0 * x[1] / r;
      g[2] = 0.0;
    } else {
      value = x[2];
      g[0] = 0.0;
      g[1] = 0.0;
      g[2] = 1.0;
    }
  }
};

// Evaluates a scalar test problem in every lane (speed does not matter here).
template <class Problem>
struct Lanes : Problem {
  using Scalar = double;
  static constexpr int kParams = Problem::kParams;
  void evaluate(double t, const double (&p)[kParams][kLanes], double (&value)[kLanes],
                double (&gradient)[kParams][kLanes]) const {
    for (int l = 0; l < kLanes; ++l) {
      double x[kParams];
      double g[kParams];
      for (int a = 0; a < kParams; ++a) x[a] = p[a][l];
      Problem::evaluate_one(t, x, value[l], g);
      for (int a = 0; a < kParams; ++a) gradient[a][l] = g[a];
    }
  }
  void project(double*) const {}
};

template <class Model>
struct Run {
  std::vector<double> params;
  double chi2;
  FitStatus status;
};

template <class Model>
Run<Model> solve(const std::vector<double>& t, const std::vector<double>& start, LmOptions options) {
  constexpr int P = Model::kParams;
  std::vector<double> zeros(t.size(), 0.0);
  Run<Model> run{std::vector<double>(P), 0.0, FitStatus::converged};
  std::vector<double> inverse(P);
  int iterations = 0;
  LmBatch<double, P> batch{t, zeros.data(), start.data(), 1, run.params.data(), &run.chi2, inverse.data(),
                           &run.status, &iterations};
  solve_lm(Model{}, batch, options);
  return run;
}

TEST(LmSolver, BrownDennisReachesTheKnownMinimum) {
  std::vector<double> t;
  for (int i = 1; i <= 20; ++i) t.push_back(i / 5.0);
  LmOptions options;
  options.tolerance = 1e-14;
  options.max_iterations = 500;
  const auto run = solve<Lanes<BrownDennis>>(t, {25.0, 5.0, -5.0, 1.0}, options);
  ASSERT_EQ(run.status, FitStatus::converged);
  // MINPACK's reference minimum, confirmed with scipy.optimize.least_squares.
  EXPECT_NEAR(run.chi2, 85822.2016263563, 1e-4);
  EXPECT_NEAR(run.params[0], -11.5944397, 1e-4);
  EXPECT_NEAR(run.params[1], 13.2036300, 1e-4);
  EXPECT_NEAR(run.params[2], -0.403439570, 1e-5);
  EXPECT_NEAR(run.params[3], 0.236779180, 1e-5);
}

TEST(LmSolver, HelixReachesTheOrigin) {
  LmOptions options;
  options.tolerance = 1e-20;
  options.max_iterations = 200;
  const auto run = solve<Lanes<Helix>>({0.0, 1.0, 2.0}, {-1.0, 0.0, 0.0}, options);
  EXPECT_NE(run.status, FitStatus::singular_hessian);
  EXPECT_NEAR(run.params[0], 1.0, 1e-8);
  EXPECT_NEAR(run.params[1], 0.0, 1e-8);
  EXPECT_NEAR(run.params[2], 0.0, 1e-8);
  EXPECT_LT(run.chi2, 1e-16);
}

TEST(LmSolver, ManyTracesRefillLanesAndGiveTheSameAnswerEach) {
  // 37 copies of the same problem (more than two lane groups, not a multiple of the lane count): every copy
  // must come out bit-identical, whichever lane and refill order it got.
  std::vector<double> t;
  for (int i = 1; i <= 20; ++i) t.push_back(i / 5.0);
  const std::size_t count = 37;
  std::vector<double> zeros(count * t.size(), 0.0);
  std::vector<double> seeds;
  for (std::size_t i = 0; i < count; ++i) seeds.insert(seeds.end(), {25.0, 5.0, -5.0, 1.0});
  std::vector<double> params(count * 4), chi2(count), inverse(count * 4);
  std::vector<FitStatus> status(count);
  std::vector<int> iterations(count);
  LmBatch<double, 4> batch{t, zeros.data(), seeds.data(), count, params.data(), chi2.data(), inverse.data(),
                           status.data(), iterations.data()};
  solve_lm(Lanes<BrownDennis>{}, batch, LmOptions{});
  for (std::size_t i = 1; i < count; ++i) {
    EXPECT_EQ(chi2[i], chi2[0]);
    EXPECT_EQ(iterations[i], iterations[0]);
    for (int a = 0; a < 4; ++a) EXPECT_EQ(params[i * 4 + a], params[a]);
  }
}

}  // namespace
}  // namespace xpulse::fit
