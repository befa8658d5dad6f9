#pragma once
// Generic batched Levenberg-Marquardt, vectorised across traces.
//
// kLanes traces are fitted together, one per SIMD lane: the inner loop of the point sum runs across lanes, so
// the compiler turns every model evaluation into vector code. Each lane keeps its own LM state (lambda,
// scaling, iteration count, status); when a lane's fit ends, the next trace of the batch is loaded into that
// lane, so lanes never idle waiting for the slowest fit of a group. A trace's arithmetic does not depend on
// which lane it runs in or on its neighbours, so results are bit-identical for any batching.
//
// A model supplies (see damped_cosine.h):
//   using Scalar = float | double;  static constexpr int kParams;
//   // value[l] and gradient[a][l] of every lane l at abscissa t: an `omp simd` loop over lanes with scalar
//   // locals only (arrays inside the loop body defeat GCC's vectoriser).
//   void evaluate(double t, const Scalar (&p)[kParams][kLanes], Scalar (&value)[kLanes],
//                 Scalar (&gradient)[kParams][kLanes]) const;
//   void project(Scalar* p) const;   // maps p onto the bounds / canonical form (same model value)
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "fit/fit_status.h"
#include "fit/lanes.h"
#include "fit/lm_options.h"
#include "fit/small_cholesky.h"
#include "fit/step_table.h"

namespace xpulse::fit {

inline constexpr std::size_t kFloatChunk = 32;  // points summed in Scalar before adding to double

template <int P>
struct NormalEquations {
  static constexpr int kPacked = P * (P + 1) / 2;  // lower triangle, row by row: (0,0) (1,0) (1,1) (2,0) ...
  alignas(64) double chi2[kLanes];
  alignas(64) double jtr[P][kLanes];
  alignas(64) double jtj[kPacked][kLanes];
};

// A model may also offer evaluate() by recurrence on grids of few distinct steps (oscillation_sweep.h):
//   using Sweep = ...;
//   void start_sweep(Sweep&, const StepTable&, double t0, const Scalar (&p)[kParams][kLanes]) const;
//   static void advance_sweep(Sweep&, int step);   // to the next abscissa, `step` from StepTable::index
//   void evaluate_swept(double t, const Sweep&, p, value, gradient) const;
template <class Model>
concept SweepableModel = requires { typename Model::Sweep; };

namespace detail {
// Sums chi2, J^T r and J^T J over the points; evaluate(k, value, gradient) gives the model at point k, in order.
template <bool Weighted, int P, class S, class Evaluate>
void accumulate_points(std::size_t n, const S* y, const S* root_weights, Evaluate&& evaluate,
                       NormalEquations<P>& out) {
  constexpr int Q = NormalEquations<P>::kPacked;
  std::fill_n(out.chi2, kLanes, 0.0);
  std::fill_n(&out.jtr[0][0], P * kLanes, 0.0);
  std::fill_n(&out.jtj[0][0], Q * kLanes, 0.0);
  alignas(64) S value[kLanes];
  alignas(64) S gradient[P][kLanes];
  alignas(64) S residual[kLanes];
  for (std::size_t k0 = 0; k0 < n; k0 += kFloatChunk) {
    const std::size_t k1 = std::min(n, k0 + kFloatChunk);
    alignas(64) S c2[kLanes] = {};
    alignas(64) S cr[P][kLanes] = {};
    alignas(64) S cj[Q][kLanes] = {};
    for (std::size_t k = k0; k < k1; ++k) {
      evaluate(k, value, gradient);
      const S* yk = y + k * kLanes;
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) residual[l] = yk[l] - value[l];
      if constexpr (Weighted) {
        const S* wk = root_weights + k * kLanes;
#pragma omp simd
        for (int l = 0; l < kLanes; ++l) residual[l] *= wk[l];
#pragma GCC unroll 8
        for (int a = 0; a < P; ++a) {
#pragma omp simd
          for (int l = 0; l < kLanes; ++l) gradient[a][l] *= wk[l];
        }
      }
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) c2[l] += residual[l] * residual[l];
#pragma GCC unroll 8
      for (int a = 0; a < P; ++a) {
#pragma omp simd
        for (int l = 0; l < kLanes; ++l) cr[a][l] += gradient[a][l] * residual[l];
#pragma GCC unroll 8
        for (int b = 0; b <= a; ++b) {
#pragma omp simd
          for (int l = 0; l < kLanes; ++l) cj[a * (a + 1) / 2 + b][l] += gradient[a][l] * gradient[b][l];
        }
      }
    }
    for (int l = 0; l < kLanes; ++l) out.chi2[l] += c2[l];
    for (int a = 0; a < P; ++a) {
      for (int l = 0; l < kLanes; ++l) out.jtr[a][l] += cr[a][l];
    }
    for (int q = 0; q < Q; ++q) {
      for (int l = 0; l < kLanes; ++l) out.jtj[q][l] += cj[q][l];
    }
  }
}
}  // namespace detail

// chi2, J^T r and J^T J of every lane at parameters p over all points. y is [n_points][kLanes]. Weighted: each
// point's residual and gradient are multiplied by root_weights[k][lane], the square root of its weight. steps
// describes t (StepTable::make(t)); where it is usable and the model sweepable, the model goes by recurrence.
template <bool Weighted, class Model>
void accumulate_normal_equations(const Model& model, std::span<const double> t, const StepTable& steps,
                                 const typename Model::Scalar* y, const typename Model::Scalar* root_weights,
                                 const typename Model::Scalar (&p)[Model::kParams][kLanes],
                                 NormalEquations<Model::kParams>& out) {
  using S = typename Model::Scalar;
  constexpr int P = Model::kParams;
  if constexpr (SweepableModel<Model>) {
    if (steps.usable()) {
      typename Model::Sweep sweep;
      model.start_sweep(sweep, steps, t[0], p);
      const std::uint8_t* index = steps.index.data();
      detail::accumulate_points<Weighted, P, S>(
          t.size(), y, root_weights,
          [&](std::size_t k, S(&value)[kLanes], S(&gradient)[P][kLanes]) {
            if (k > 0) Model::advance_sweep(sweep, index[k]);
            model.evaluate_swept(t[k], sweep, p, value, gradient);
          },
          out);
      return;
    }
  }
  detail::accumulate_points<Weighted, P, S>(
      t.size(), y, root_weights,
      [&](std::size_t k, S(&value)[kLanes], S(&gradient)[P][kLanes]) { model.evaluate(t[k], p, value, gradient); },
      out);
}

// A batch of traces sharing one set of abscissae, and where the results go.
template <class Scalar, int P>
struct LmBatch {
  std::span<const double> t;      // abscissae, n points
  const Scalar* traces = nullptr;  // [count][n]
  const Scalar* seeds = nullptr;   // [count][P] starting parameters
  std::size_t count = 0;
  Scalar* params = nullptr;          // [count][P] result
  double* chi2 = nullptr;            // [count] sum of (weighted) squared residuals
  double* inverse_diagonal = nullptr;  // [count][P] diag((J^T J)^-1) at the result; NaN when singular
  FitStatus* status = nullptr;       // [count]
  int* iterations = nullptr;         // [count] trial steps taken
  const Scalar* root_weights = nullptr;  // [count][n] square roots of the points' weights; nullptr: unweighted
};

namespace detail {
template <int P>
void unpack_lane(const double (&packed)[NormalEquations<P>::kPacked][kLanes], int lane, double (&m)[P][P]) {
  for (int a = 0; a < P; ++a) {
    for (int b = 0; b <= a; ++b) m[a][b] = m[b][a] = packed[a * (a + 1) / 2 + b][lane];
  }
}
}  // namespace detail

// Solves (J^T J + lambda diag(scale)) delta = J^T r of every lane at once: the arithmetic of cholesky_factor and
// cholesky_solve (small_cholesky.h), in the same order, with the lanes in the vector dimension. solved[l] is
// false where a pivot is not positive and finite (delta is then meaningless).
template <int P>
void solve_damped_lanes(const NormalEquations<P>& eq, const double (&lambda)[kLanes], const double (&scale)[P][kLanes],
                        double (&delta)[P][kLanes], bool (&solved)[kLanes]) {
  alignas(64) double a[P][P][kLanes];  // lower triangle
  for (int i = 0; i < P; ++i) {
    for (int j = 0; j <= i; ++j) {
      for (int l = 0; l < kLanes; ++l) a[i][j][l] = eq.jtj[i * (i + 1) / 2 + j][l];
    }
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) a[i][i][l] += lambda[l] * scale[i][l];
  }
  // The lane loop is innermost everywhere so that every step is one vector operation; per lane the order of
  // operations is cholesky_factor's and cholesky_solve's.
  alignas(64) double ok[kLanes];
  alignas(64) double inverse[P][kLanes];  // 1 / L[j][j]
  alignas(64) double s[kLanes];
  std::fill_n(ok, kLanes, 1.0);
#pragma GCC unroll 8
  for (int j = 0; j < P; ++j) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) s[l] = a[j][j][l];
#pragma GCC unroll 8
    for (int k = 0; k < j; ++k) {
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) s[l] -= a[j][k][l] * a[j][k][l];
    }
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      const bool good = s[l] > 0.0 && s[l] <= std::numeric_limits<double>::max();
      ok[l] = good ? ok[l] : 0.0;
      a[j][j][l] = __builtin_sqrt(good ? s[l] : 1.0);
      inverse[j][l] = 1.0 / a[j][j][l];
    }
#pragma GCC unroll 8
    for (int i = j + 1; i < P; ++i) {
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) s[l] = a[i][j][l];
#pragma GCC unroll 8
      for (int k = 0; k < j; ++k) {
#pragma omp simd
        for (int l = 0; l < kLanes; ++l) s[l] -= a[i][k][l] * a[j][k][l];
      }
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) a[i][j][l] = s[l] * inverse[j][l];
    }
  }
  alignas(64) double y[P][kLanes];
#pragma GCC unroll 8
  for (int i = 0; i < P; ++i) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) s[l] = eq.jtr[i][l];
#pragma GCC unroll 8
    for (int k = 0; k < i; ++k) {
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) s[l] -= a[i][k][l] * y[k][l];
    }
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) y[i][l] = s[l] * inverse[i][l];
  }
#pragma GCC unroll 8
  for (int i = P - 1; i >= 0; --i) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) s[l] = y[i][l];
#pragma GCC unroll 8
    for (int k = i + 1; k < P; ++k) {
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) s[l] -= a[k][i][l] * delta[k][l];
    }
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) delta[i][l] = s[l] * inverse[i][l];
  }
  for (int l = 0; l < kLanes; ++l) solved[l] = ok[l] != 0.0;
}

template <class Model>
void solve_lm(const Model& model, const LmBatch<typename Model::Scalar, Model::kParams>& batch,
              const LmOptions& options) {
  using S = typename Model::Scalar;
  constexpr int P = Model::kParams;
  constexpr int Q = NormalEquations<P>::kPacked;
  const std::size_t n = batch.t.size();
  if (batch.count == 0) return;

  const bool weighted = batch.root_weights != nullptr;
  const StepTable steps = StepTable::make(batch.t);
  std::vector<S> y(n * kLanes, S(0));
  std::vector<S> w(weighted ? n * kLanes : 0, S(0));
  alignas(64) S params[P][kLanes];
  alignas(64) S trial[P][kLanes];
  NormalEquations<P> current;
  NormalEquations<P> candidate;
  double scale[P][kLanes];
  double lambda[kLanes];
  int iterations[kLanes];
  std::ptrdiff_t trace[kLanes];
  bool fresh[kLanes];
  std::size_t next = 0;

  auto load = [&](int l) {
    if (next >= batch.count) {
      trace[l] = -1;  // empty lane: keeps its last (finite) parameters, results are ignored
      return;
    }
    trace[l] = static_cast<std::ptrdiff_t>(next);
    const S* src = batch.traces + next * n;
    for (std::size_t k = 0; k < n; ++k) y[k * kLanes + l] = src[k];
    if (weighted) {
      const S* root = batch.root_weights + next * n;
      for (std::size_t k = 0; k < n; ++k) w[k * kLanes + l] = root[k];
    }
    S p[P];
    for (int a = 0; a < P; ++a) p[a] = batch.seeds[next * P + a];
    model.project(p);
    for (int a = 0; a < P; ++a) trial[a][l] = p[a];
    lambda[l] = options.initial_lambda;
    iterations[l] = 0;
    fresh[l] = true;
    ++next;
  };

  auto finish = [&](int l, FitStatus status) {
    const std::size_t i = static_cast<std::size_t>(trace[l]);
    for (int a = 0; a < P; ++a) batch.params[i * P + a] = params[a][l];
    batch.chi2[i] = current.chi2[l];
    double m[P][P];
    detail::unpack_lane<P>(current.jtj, l, m);
    double diag[P];
    if (cholesky_factor(m)) {
      cholesky_inverse_diagonal(m, diag);
    } else {
      std::fill_n(diag, P, std::nan(""));
    }
    for (int a = 0; a < P; ++a) batch.inverse_diagonal[i * P + a] = diag[a];
    batch.status[i] = status;
    batch.iterations[i] = iterations[l];
    load(l);
  };

  // The LM steps of every lane (solve_damped_lanes); propose(l) sets lane l's trial point from its step.
  alignas(64) double delta[P][kLanes];
  bool solved[kLanes];
  bool wants_step[kLanes];
  auto propose = [&](int l) {
    if (!solved[l]) return false;
    S p[P];
    for (int a = 0; a < P; ++a) {
      if (!std::isfinite(delta[a][l])) return false;
      p[a] = static_cast<S>(params[a][l] + delta[a][l]);
    }
    model.project(p);
    for (int a = 0; a < P; ++a) trial[a][l] = p[a];
    return true;
  };

  auto accept = [&](int l) {
    for (int a = 0; a < P; ++a) params[a][l] = trial[a][l];
    current.chi2[l] = candidate.chi2[l];
    for (int a = 0; a < P; ++a) current.jtr[a][l] = candidate.jtr[a][l];
    for (int q = 0; q < Q; ++q) current.jtj[q][l] = candidate.jtj[q][l];
    for (int a = 0; a < P; ++a) {
      const double d = candidate.jtj[a * (a + 1) / 2 + a][l];
      scale[a][l] = fresh[l] ? d : std::max(scale[a][l], d);
    }
  };

  for (int l = 0; l < kLanes; ++l) load(l);
  for (int l = 0; l < kLanes; ++l) {  // empty lanes of a short batch copy lane 0 so they stay finite
    if (trace[l] < 0) {
      for (int a = 0; a < P; ++a) trial[a][l] = trial[a][0];
    }
  }

  for (;;) {
    bool any = false;
    for (int l = 0; l < kLanes; ++l) any |= trace[l] >= 0;
    if (!any) break;
    if (weighted) {
      accumulate_normal_equations<true>(model, batch.t, steps, y.data(), w.data(), trial, candidate);
    } else {
      accumulate_normal_equations<false>(model, batch.t, steps, y.data(), nullptr, trial, candidate);
    }
    for (int l = 0; l < kLanes; ++l) {
      wants_step[l] = false;
      if (trace[l] < 0) continue;
      if (fresh[l]) {
        accept(l);
        fresh[l] = false;
        if (!std::isfinite(current.chi2[l])) {
          finish(l, FitStatus::singular_hessian);
          continue;
        }
      } else {
        ++iterations[l];
        const double before = current.chi2[l];
        const double after = candidate.chi2[l];
        if (after < before) {
          accept(l);
          lambda[l] = std::max(lambda[l] * 0.1, 1e-15);
        } else {
          lambda[l] = std::min(lambda[l] * 10.0, 1e15);
        }
        if (std::abs(after - before) <= options.tolerance * std::max(1.0, current.chi2[l])) {
          finish(l, FitStatus::converged);
          continue;
        }
        if (iterations[l] >= options.max_iterations) {
          finish(l, FitStatus::max_iterations);
          continue;
        }
      }
      wants_step[l] = true;
    }
    solve_damped_lanes<P>(current, lambda, scale, delta, solved);
    for (int l = 0; l < kLanes; ++l) {
      if (wants_step[l] && !propose(l)) finish(l, FitStatus::singular_hessian);
    }
  }
}

}  // namespace xpulse::fit
