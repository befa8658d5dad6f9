#pragma once
// One pixel's whole fit (normalise, seed by linear prediction, refine by Levenberg-Marquardt, classify) as
// scalar code compiled for the host and for CUDA devices. The CUDA backend runs it one thread per pixel; the
// reference backend runs it on the host, as the CPU twin that the CUDA results are checked against.
//
// The arithmetic is that of the lane-parallel CPU backend (cpu_tile_fitter.cpp, damped_cosine_seed.cpp,
// lm_solver.h) step by step, in the same order, with two deliberate differences. The seeding's periodogram is
// taken by a direct DFT on the same zero-padded bin grid instead of the lanes' FFT (a per-thread FFT does not
// suit a GPU). The model's exponential and sinusoid are evaluated at each delay, where the lane solver steps
// them by recurrence on uniform or piecewise-uniform delays (oscillation_sweep.h). Both differ by float
// rounding only; a near-tie between two periodogram bins can make the seeds differ. The consistency tests
// measure how closely the results agree.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/host_device.h"
#include "fit/damped_cosine.h"
#include "fit/damped_cosine_exp.h"
#include "fit/fit_problem.h"
#include "fit/fit_status.h"
#include "fit/fit_weights.h"
#include "fit/periodogram.h"
#include "fit/small_cholesky.h"
#include "fit/step_table.h"
#include "fit/trace_moments.h"
#include "fit/oscillation_sweep.h"
#include "fit/vector_math.h"

namespace xpulse::fit {

// What every pixel's fit shares. Pointers address host or device memory, wherever the fit runs.
struct PixelFitConstants {
  const double* t = nullptr;          // [n] delay - t0, ps
  int n = 0;
  // Seeding: uniform resampling (when the delays are not uniform) and the periodogram's bin grid.
  bool uniform = true;
  const int* left = nullptr;          // [n] uniform point j lies between t[left[j]] and t[left[j] + 1]
  const float* weight = nullptr;      // [n] weight of the right neighbour
  double step = 0.0;                  // uniform grid step, ps
  double span = 0.0;                  // t[n-1] - t[0], ps
  int fft_size = 0;                   // zero-padded length m (a power of two >= 2n)
  int bin_lo = 1, bin_hi = 1;         // periodogram bins searched, inclusive
  double bin_thz = 0.0;               // 1 / (m step)
  const float* twiddle_cos = nullptr;  // [m] cos(2 pi k / m)
  const float* twiddle_sin = nullptr;  // [m] sin(2 pi k / m)
  float max_frequency = 0.0f;         // THz
  float min_tau = 1e-3f;              // ps (background model)
  // The delays as t[0] plus steps of a few distinct lengths (step_table.h); step_count 0 when they are not.
  int step_count = 0;
  double steps[StepTable::kMaxSteps] = {};
  const std::uint8_t* step_index = nullptr;  // [n]
  // Solver and classification.
  int max_iterations = 50;
  double tolerance = 1e-6;
  double initial_lambda = 1e-3;
  double amp_threshold = 0.0;
  double min_snr = 4.0;
  WeightKind weights = WeightKind::none;  // dataset weights come with each pixel (fit_pixel)
  double adu_per_photon = 1.0;
};

// One pixel's result, in data units (as FitMaps holds it).
struct PixelResult {
  float value[DampedCosineExp::kParams];
  float std_error[DampedCosineExp::kParams];
  float chi2_reduced;
  std::uint8_t status;
  std::uint16_t iterations;
  bool fitted;  // handed to the solver (not masked, finite, not flat)
};

// Trace values at a stride: value k is data[k * stride].
struct StridedTrace {
  float* data;
  std::size_t stride;
  XPULSE_HD float& operator[](int k) const { return data[static_cast<std::size_t>(k) * stride]; }
};

// Square roots of the weights of one normalised trace's points (fit_weights.h): Poisson weights are computed
// from the point's value, dataset weights are held in `root` (already square roots, normalised).
struct PixelWeights {
  WeightKind kind = WeightKind::none;
  StridedTrace root{nullptr, 0};
  double adu_per_photon = 1.0, mean = 0.0, rms = 1.0;  // the trace's normalisation
  XPULSE_HD float root_weight(int k, float normalised_value) const {
    if (kind == WeightKind::poisson) {
      const double value = static_cast<double>(normalised_value) * rms + mean;
      return static_cast<float>(std::sqrt(poisson_weight(value, adu_per_photon)) * rms);
    }
    return root[k];
  }
};

namespace pixel_detail {

XPULSE_HD inline double clamp_d(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Uniform-grid sample j of the (normalised) trace, as the CPU seeder resamples it.
XPULSE_HD inline float uniform_sample(const PixelFitConstants& c, const StridedTrace& y, int j) {
  if (c.uniform) return y[j];
  const float w = c.weight[j];
  const int i = c.left[j];
  return (1.0f - w) * y[i] + w * y[i + 1];
}

// Frequency (THz) of the periodogram peak above half a cycle per span, with parabolic interpolation.
XPULSE_HD inline float spectral_peak(const PixelFitConstants& c, const StridedTrace& y) {
  constexpr int kGroup = 8;  // bins accumulated together: each sample is read once per group
  const unsigned mask = static_cast<unsigned>(c.fft_size - 1);
  float best = -1.0f;
  int where = c.bin_lo;
  for (int b0 = c.bin_lo; b0 <= c.bin_hi; b0 += kGroup) {
    float re[kGroup] = {}, im[kGroup] = {};
    for (int j = 0; j < c.n; ++j) {
      const float x = uniform_sample(c, y, j);
      for (int g = 0; g < kGroup; ++g) {
        const unsigned k = (static_cast<unsigned>(j) * static_cast<unsigned>(b0 + g)) & mask;
        re[g] = std::fma(x, c.twiddle_cos[k], re[g]);
        im[g] = std::fma(-x, c.twiddle_sin[k], im[g]);
      }
    }
    for (int g = 0; g < kGroup && b0 + g <= c.bin_hi; ++g) {
      const float p = re[g] * re[g] + im[g] * im[g];
      if (p > best) {
        best = p;
        where = b0 + g;
      }
    }
  }
  // Refined from the peak's and its neighbours' powers by dft_bin_power, as the CPU seeder refines them.
  double offset = 0.0;
  const int half = c.fft_size / 2;
  if (where > 1 && where + 1 < half) {
    auto sample = [&](int j) { return uniform_sample(c, y, j); };
    const double left = dft_bin_power(sample, c.n, where - 1, c.fft_size);
    const double mid = dft_bin_power(sample, c.n, where, c.fft_size);
    const double right = dft_bin_power(sample, c.n, where + 1, c.fft_size);
    offset = parabolic_offset(left, mid, right);
  }
  return static_cast<float>((static_cast<double>(where) + offset) * c.bin_thz);
}

}  // namespace pixel_detail

// Starting parameters of one normalised trace by linear prediction (damped_cosine_seed.h has the method).
// K = 3: offset, cosine, sine (DampedCosine); K = 4 adds the background (DampedCosineExp).
template <int K>
XPULSE_HD void seed_pixel(const PixelFitConstants& c, const StridedTrace& y, float* seed) {
  using pixel_detail::uniform_sample;
  const int n = c.n;
  const double tau0 = c.span / 3.0;
  // Instrumental-variable AR(2) with intercept: sums of z r^T and z x[j+1], z = (x[j-2], x[j-3], 1).
  double s[11] = {};
  for (int j = 3; j + 1 < n; ++j) {
    const double z0 = uniform_sample(c, y, j - 2), z1 = uniform_sample(c, y, j - 3), r0 = uniform_sample(c, y, j),
                 r1 = uniform_sample(c, y, j - 1), target = uniform_sample(c, y, j + 1);
    s[0] += z0 * r0;
    s[1] += z0 * r1;
    s[2] += z0;
    s[3] += z1 * r0;
    s[4] += z1 * r1;
    s[5] += z1;
    s[6] += r0;
    s[7] += r1;
    s[8] += z0 * target;
    s[9] += z1 * target;
    s[10] += target;
  }
  const double rows = static_cast<double>(n - 4);
  const float spectral = pixel_detail::spectral_peak(c, y);
  double m[3][3] = {{s[0], s[1], s[2]}, {s[3], s[4], s[5]}, {s[6], s[7], rows}};
  double r[3] = {s[8], s[9], s[10]};
  double a[3] = {0, 0, 0};
  double f = spectral;
  double g = 1.0 / c.span;
  if (solve3(m, r, a) && a[1] < 0.0) {
    const double radius = std::sqrt(-a[1]);
    const double cw = a[0] / (2.0 * radius);
    if (cw > -1.0 && cw < 1.0) {
      const double f_lp = std::acos(cw) / (kTwoPi * c.step);
      if (std::fabs(f_lp - spectral) <= c.bin_thz) {
        f = f_lp;
        g = -std::log(radius) / c.step;
      }
    }
  }
  const float freq = static_cast<float>(pixel_detail::clamp_d(f, 0.0, c.max_frequency));
  const float damp = static_cast<float>(pixel_detail::clamp_d(g, 0.0, 5.0 / c.span));
  // Linear least squares for the coefficients of offset, E cos, E sin (, background) on the real delays, as the
  // CPU seeder sums them: in float over chunks of points, then in double; E cos and E sin by recurrence where
  // the delays allow it.
  constexpr int kChunk = 32;  // lm_solver.h kFloatChunk
  double nm[K * (K + 1) / 2] = {};
  double rhs[K] = {};
  PixelOscillationSweep sweep;
  if (c.step_count > 0) sweep.start(c.steps, c.step_count, c.t[0], freq, damp, 0.0f);
  for (int k0 = 0; k0 < n; k0 += kChunk) {
    const int k1 = k0 + kChunk < n ? k0 + kChunk : n;
    float chunk_nm[K * (K + 1) / 2] = {};
    float chunk_rhs[K] = {};
    for (int k = k0; k < k1; ++k) {
      const double tk = c.t[k];
      float basis[K];
      basis[0] = 1.0f;
      if (c.step_count > 0) {
        if (k > 0) sweep.advance(c.step_index[k]);
        basis[1] = static_cast<float>(sweep.re);
        basis[2] = static_cast<float>(sweep.im);
      } else {
        const float tf = static_cast<float>(tk);
        float sn, cs;
        sincos_turns(reduce_turns(static_cast<double>(freq) * tk), sn, cs);
        const float e = exp_nonpositive(-damp * tf);
        basis[1] = e * cs;
        basis[2] = e * sn;
      }
      if constexpr (K == 4) basis[3] = exp_nonpositive(static_cast<float>(-tk / tau0));
      const float yk = y[k];
      for (int p = 0; p < K; ++p) {
        chunk_rhs[p] += basis[p] * yk;
        for (int q = 0; q <= p; ++q) chunk_nm[p * (p + 1) / 2 + q] += basis[p] * basis[q];
      }
    }
    for (int p = 0; p < K; ++p) rhs[p] += chunk_rhs[p];
    for (int q = 0; q < K * (K + 1) / 2; ++q) nm[q] += chunk_nm[q];
  }
  double mm[K][K];
  double b[K];
  for (int p = 0; p < K; ++p) {
    b[p] = rhs[p];
    for (int q = 0; q <= p; ++q) mm[p][q] = mm[q][p] = nm[p * (p + 1) / 2 + q];
  }
  double coef[K] = {};
  if (cholesky_factor(mm)) {
    cholesky_solve(mm, b, coef);
  } else {
    coef[0] = b[0] / static_cast<double>(n);  // degenerate basis: offset only
    coef[1] = 1e-3;
  }
  // A cos(wt + phi) = (A cos phi) cos wt - (A sin phi) sin wt
  seed[DampedCosine::kFrequency] = freq;
  seed[DampedCosine::kAmplitude] = static_cast<float>(std::hypot(coef[1], coef[2]));
  seed[DampedCosine::kDamping] = damp;
  seed[DampedCosine::kPhase] = static_cast<float>(std::atan2(-coef[2], coef[1]));
  seed[DampedCosine::kOffset] = static_cast<float>(coef[0]);
  if constexpr (K == 4) {
    seed[DampedCosineExp::kBackground] = static_cast<float>(coef[3]);
    seed[DampedCosineExp::kTau] = static_cast<float>(tau0);
  }
}

// chi2, J^T r and J^T J (packed lower triangle) of one trace, summed as lm_solver.h sums one lane.
template <int P>
struct PixelNormalEquations {
  static constexpr int kPacked = P * (P + 1) / 2;
  double chi2;
  double jtr[P];
  double jtj[kPacked];
};

template <class Model>
XPULSE_HD void accumulate_pixel(const Model& model, const PixelFitConstants& c, const StridedTrace& y,
                                const PixelWeights& w, const float* p, PixelNormalEquations<Model::kParams>& out) {
  constexpr int P = Model::kParams;
  constexpr int Q = PixelNormalEquations<P>::kPacked;
  constexpr int kChunk = 32;  // points summed in float before adding to double (lm_solver.h kFloatChunk)
  out.chi2 = 0.0;
  for (int a = 0; a < P; ++a) out.jtr[a] = 0.0;
  for (int q = 0; q < Q; ++q) out.jtj[q] = 0.0;
  typename Model::PixelSweep sweep;  // as lm_solver.h on StepTable grids
  if (c.step_count > 0) model.start_pixel_sweep(sweep, c.steps, c.step_count, c.t[0], p);
  for (int k0 = 0; k0 < c.n; k0 += kChunk) {
    const int k1 = k0 + kChunk < c.n ? k0 + kChunk : c.n;
    float c2 = 0.0f;
    float cr[P] = {};
    float cj[Q] = {};
    for (int k = k0; k < k1; ++k) {
      float value;
      float gradient[P];
      if (c.step_count > 0) {
        if (k > 0) Model::advance_pixel_sweep(sweep, c.step_index[k]);
        model.evaluate_swept_one(c.t[k], sweep, p, value, gradient);
      } else {
        model.evaluate_one(c.t[k], p, value, gradient);
      }
      float residual = y[k] - value;
      if (w.kind != WeightKind::none) {  // as lm_solver.h: residual and gradient times the root weight
        const float root = w.root_weight(k, y[k]);
        residual *= root;
        for (int a = 0; a < P; ++a) gradient[a] *= root;
      }
      c2 += residual * residual;
      for (int a = 0; a < P; ++a) {
        cr[a] += gradient[a] * residual;
        for (int b = 0; b <= a; ++b) cj[a * (a + 1) / 2 + b] += gradient[a] * gradient[b];
      }
    }
    out.chi2 += c2;
    for (int a = 0; a < P; ++a) out.jtr[a] += cr[a];
    for (int q = 0; q < Q; ++q) out.jtj[q] += cj[q];
  }
}

template <int P>
XPULSE_HD void unpack_normal_matrix(const double* packed, double (&m)[P][P]) {
  for (int a = 0; a < P; ++a) {
    for (int b = 0; b <= a; ++b) m[a][b] = m[b][a] = packed[a * (a + 1) / 2 + b];
  }
}

// Levenberg-Marquardt from `seed` on one normalised trace: the state machine of one lane of solve_lm().
// Writes params, chi2 (sum of squares), diag((J^T J)^-1) (NaN when singular) and iterations; returns the status.
template <class Model>
XPULSE_HD FitStatus lm_pixel(const Model& model, const PixelFitConstants& c, const StridedTrace& y,
                             const PixelWeights& w, const float* seed, float* params, double& chi2, double* inverse_diagonal,
                             int& iterations) {
  constexpr int P = Model::kParams;
  float trial[P];
  for (int a = 0; a < P; ++a) trial[a] = seed[a];
  model.project(trial);
  PixelNormalEquations<P> current{}, candidate{};
  double scale[P] = {};
  double lambda = c.initial_lambda;
  iterations = 0;
  bool fresh = true;
  FitStatus status = FitStatus::converged;

  auto accept = [&]() {
    for (int a = 0; a < P; ++a) params[a] = trial[a];
    current = candidate;
    for (int a = 0; a < P; ++a) {
      const double d = candidate.jtj[a * (a + 1) / 2 + a];
      scale[a] = fresh ? d : std::fmax(scale[a], d);
    }
  };
  // Solves (J^T J + lambda diag(scale)) delta = J^T r and sets the trial point; false when singular.
  auto propose = [&]() {
    double m[P][P];
    unpack_normal_matrix<P>(current.jtj, m);
    double rhs[P];
    for (int a = 0; a < P; ++a) {
      m[a][a] += lambda * scale[a];
      rhs[a] = current.jtr[a];
    }
    if (!cholesky_factor(m)) return false;
    double delta[P];
    cholesky_solve(m, rhs, delta);
    float p[P];
    for (int a = 0; a < P; ++a) {
      if (!std::isfinite(delta[a])) return false;
      p[a] = static_cast<float>(params[a] + delta[a]);
    }
    model.project(p);
    for (int a = 0; a < P; ++a) trial[a] = p[a];
    return true;
  };

  for (;;) {
    accumulate_pixel(model, c, y, w, trial, candidate);
    if (fresh) {
      accept();
      fresh = false;
      if (!std::isfinite(current.chi2)) {
        status = FitStatus::singular_hessian;
        break;
      }
    } else {
      ++iterations;
      const double before = current.chi2;
      const double after = candidate.chi2;
      if (after < before) {
        accept();
        lambda = std::fmax(lambda * 0.1, 1e-15);
      } else {
        lambda = std::fmin(lambda * 10.0, 1e15);
      }
      if (std::fabs(after - before) <= c.tolerance * std::fmax(1.0, current.chi2)) {
        status = FitStatus::converged;
        break;
      }
      if (iterations >= c.max_iterations) {
        status = FitStatus::max_iterations;
        break;
      }
    }
    if (!propose()) {
      status = FitStatus::singular_hessian;
      break;
    }
  }
  chi2 = current.chi2;
  double m[P][P];
  unpack_normal_matrix<P>(current.jtj, m);
  if (cholesky_factor(m)) {
    double diag[P];
    cholesky_inverse_diagonal(m, diag);
    for (int a = 0; a < P; ++a) inverse_diagonal[a] = diag[a];
  } else {
    for (int a = 0; a < P; ++a) inverse_diagonal[a] = NAN;
  }
  return status;
}

// The whole fit of one pixel: raw trace in, result in data units out. The trace is normalised in place (zero
// mean, unit rms), so `y` must be writable scratch the caller does not need afterwards; so must `weights`, the
// pixel's dataset weights (1 / data units^2) when c.weights is dataset (replaced by their normalised roots).
template <class Model>
XPULSE_HD PixelResult fit_pixel(const Model& model, const PixelFitConstants& c, const StridedTrace& y,
                                bool masked, StridedTrace weights = StridedTrace{nullptr, 0}) {
  constexpr int P = Model::kParams;
  PixelResult r;
  for (int a = 0; a < DampedCosineExp::kParams; ++a) r.value[a] = r.std_error[a] = NAN;
  r.chi2_reduced = NAN;
  r.iterations = 0;
  r.fitted = false;
  if (masked) {
    r.status = static_cast<std::uint8_t>(FitStatus::masked);
    return r;
  }
  const int n = c.n;
  const bool weighted = c.weights != WeightKind::none;
  // The weight of point k of the raw trace (as CpuTileFitter::prepare).
  auto weight_of = [&](int k) -> double {
    return c.weights == WeightKind::poisson ? poisson_weight(y[k], c.adu_per_photon) : static_cast<double>(weights[k]);
  };
  auto value_of = [&](int k) { return static_cast<double>(y[k]); };
  const TraceMoments moments =
      weighted ? trace_moments<true>(n, value_of, weight_of) : trace_moments<false>(n, value_of, weight_of);
  if (!moments.valid || moments.positive < static_cast<int>(kMinFitPoints)) {
    r.status = static_cast<std::uint8_t>(FitStatus::non_finite_input);
    return r;
  }
  const int positive = moments.positive;
  const double mean = moments.mean;
  const double ss = moments.ss;
  const double weighted_ss = moments.weighted_ss;
  const double rms = std::sqrt(ss / static_cast<double>(positive));
  const double dof = static_cast<double>(positive - P);
  if (!(rms > 1e-6 * std::fmax(std::fabs(mean), 1e-30))) {  // flat trace: nothing oscillates
    r.status = static_cast<std::uint8_t>(FitStatus::no_signal);
    r.value[DampedCosine::kAmplitude] = 0.0f;
    r.value[DampedCosine::kOffset] = static_cast<float>(mean);
    r.chi2_reduced = static_cast<float>((weighted ? weighted_ss : ss) / dof);
    return r;
  }
  // Dataset weights become the roots of the normalised weights; points of weight 0 are set to the mean.
  const double inverse_rms = 1.0 / rms;
  for (int k = 0; k < n; ++k) {
    const bool dropped = weighted && !(weight_of(k) > 0.0);
    if (c.weights == WeightKind::dataset) {
      weights[k] = static_cast<float>(std::sqrt(static_cast<double>(weights[k])) * rms);
    }
    y[k] = dropped ? 0.0f : static_cast<float>((y[k] - mean) * inverse_rms);
  }
  PixelWeights w{c.weights, weights, c.adu_per_photon, mean, rms};
  r.fitted = true;

  float seed[P];
  if constexpr (P == DampedCosine::kParams) {
    seed_pixel<3>(c, y, seed);
  } else {
    seed_pixel<4>(c, y, seed);
  }
  float params[P];
  double chi2 = 0.0;
  double inverse_diagonal[P];
  int iterations = 0;
  FitStatus status = lm_pixel(model, c, y, w, seed, params, chi2, inverse_diagonal, iterations);

  // Back to data units and classification, as CpuTileFitter::store().
  const double variance_factor = weighted ? 1.0 : chi2 / dof;
  for (int a = 0; a < P; ++a) {
    const bool data_units = a == DampedCosine::kAmplitude || a == DampedCosine::kOffset ||
                            (P == DampedCosineExp::kParams && a == DampedCosineExp::kBackground);
    double value = params[a];
    double error = std::sqrt(inverse_diagonal[a] * variance_factor);
    if (data_units) {
      value *= rms;
      error *= rms;
    }
    if (a == DampedCosine::kOffset) value += mean;
    r.value[a] = static_cast<float>(value);
    r.std_error[a] = static_cast<float>(error);
  }
  r.chi2_reduced = static_cast<float>(weighted ? chi2 / dof : chi2 * rms * rms / dof);
  r.iterations = static_cast<std::uint16_t>(iterations);
  const double amplitude = r.value[DampedCosine::kAmplitude];
  const double amplitude_error = r.std_error[DampedCosine::kAmplitude];
  if (status != FitStatus::singular_hessian &&
      (amplitude < c.amp_threshold || !(amplitude >= c.min_snr * amplitude_error))) {
    status = FitStatus::no_signal;
    r.value[DampedCosine::kFrequency] = r.std_error[DampedCosine::kFrequency] = NAN;
    r.value[DampedCosine::kDamping] = r.std_error[DampedCosine::kDamping] = NAN;
    r.value[DampedCosine::kPhase] = r.std_error[DampedCosine::kPhase] = NAN;
  }
  r.status = static_cast<std::uint8_t>(status);
  return r;
}

}  // namespace xpulse::fit
