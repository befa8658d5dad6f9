#include "fit/damped_cosine_seed.h"

#include <algorithm>
#include <stdexcept>
#include <cmath>

#include "fit/damped_cosine.h"
#include "fit/damped_cosine_exp.h"
#include "fit/lm_solver.h"
#include "fit/oscillation_sweep.h"
#include "fit/periodogram.h"
#include "fit/small_cholesky.h"
#include "fit/vector_math.h"

namespace xpulse::fit {

DampedCosineSeeder::DampedCosineSeeder(std::span<const double> t, float max_frequency)
    : t_(t.begin(), t.end()),
      max_frequency_(max_frequency),
      grid_(SeedingGrid::make(t, max_frequency)),
      steps_(StepTable::make(t)),
      spectrum_(grid_.fft_size),
      power_((grid_.fft_size / 2 + 1) * kLanes) {}

DampedCosineSeeder::~DampedCosineSeeder() = default;

void DampedCosineSeeder::spectral_peak(const float* x, float* frequency) const {
  const std::size_t n = t_.size();
  const std::size_t m = grid_.fft_size;
  const std::size_t lo = grid_.bin_lo, hi = grid_.bin_hi;
  spectrum_.compute(x, n, lo, hi, power_.data());
  alignas(64) float best[kLanes];
  alignas(64) int where[kLanes];
  std::fill_n(best, kLanes, -1.0f);
  std::fill_n(where, kLanes, static_cast<int>(lo));
  for (std::size_t b = lo; b <= hi; ++b) {
    const float* row = &power_[b * kLanes];
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      const bool better = row[l] > best[l];
      best[l] = better ? row[l] : best[l];
      where[l] = better ? static_cast<int>(b) : where[l];
    }
  }
  const double bin_thz = grid_.bin_thz;
  // The peak and its neighbours by direct DFT: dft_bin_power (periodogram.h) across the lanes, so that the
  // per-pixel seeder refines identically.
  alignas(64) double step_re[3][kLanes], step_im[3][kLanes];
  alignas(64) double zr[3][kLanes], zi[3][kLanes], re[3][kLanes], im[3][kLanes];
  for (int d = 0; d < 3; ++d) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      dft_bin_step(where[l] - 1 + d, static_cast<int>(m), step_re[d][l], step_im[d][l]);
      zr[d][l] = 1.0;
      zi[d][l] = 0.0;
      re[d][l] = 0.0;
      im[d][l] = 0.0;
    }
  }
  for (std::size_t j = 0; j < n; ++j) {
    const float* xj = x + j * kLanes;
    for (int d = 0; d < 3; ++d) {
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) {
        const double v = xj[l];
        re[d][l] = std::fma(v, zr[d][l], re[d][l]);
        im[d][l] = std::fma(v, zi[d][l], im[d][l]);
        rotate_phasor(zr[d][l], zi[d][l], step_re[d][l], step_im[d][l]);
      }
    }
  }
  const int half = static_cast<int>(m / 2);
  for (int l = 0; l < kLanes; ++l) {
    const int b = where[l];
    double offset = 0.0;
    if (b > 1 && b + 1 < half) {
      auto power = [&](int d) { return re[d][l] * re[d][l] + im[d][l] * im[d][l]; };
      offset = parabolic_offset(power(0), power(1), power(2));
    }
    frequency[l] = static_cast<float>((static_cast<double>(b) + offset) * bin_thz);
  }
}

void DampedCosineSeeder::seed(const float* traces, std::size_t count, float* seeds) const {
  seed_lanes<3>(traces, count, seeds);
}

void DampedCosineSeeder::seed_with_background(const float* traces, std::size_t count, float* seeds) const {
  seed_lanes<4>(traces, count, seeds);
}

// K linear coefficients: offset, cosine, sine (and background when K == 4).
template <int K>
void DampedCosineSeeder::seed_lanes(const float* traces, std::size_t count, float* seeds) const {
  constexpr int P = K == 3 ? DampedCosine::kParams : DampedCosineExp::kParams;
  const std::size_t n = t_.size();
  const double tau0 = grid_.span / 3.0;  // start of the background's time constant
  std::vector<float> x(n * kLanes);   // uniform series, point-major [n][kLanes]
  std::vector<float> yt(n * kLanes);  // the traces themselves, point-major
  for (std::size_t first = 0; first < count; first += kLanes) {
    const int lanes = static_cast<int>(std::min<std::size_t>(kLanes, count - first));
    // Uniform series, point-major [n][kLanes]; lanes past the batch repeat the last trace.
    for (int l = 0; l < kLanes; ++l) {
      const float* y = traces + (first + static_cast<std::size_t>(std::min(l, lanes - 1))) * n;
      for (std::size_t j = 0; j < n; ++j) yt[j * kLanes + l] = y[j];
      if (grid_.uniform) {
        for (std::size_t j = 0; j < n; ++j) x[j * kLanes + l] = y[j];
      } else {
        for (std::size_t j = 0; j < n; ++j) {
          const float w = grid_.weight[j];
          x[j * kLanes + l] = (1.0f - w) * y[grid_.left[j]] + w * y[grid_.left[j] + 1];
        }
      }
    }
    // Instrumental-variable AR(2) with intercept: sums of z r^T and z x[j+1], z = (x[j-2], x[j-3], 1).
    alignas(64) double s[11][kLanes] = {};
    for (std::size_t j = 3; j + 1 < n; ++j) {
      const float* x3 = &x[(j - 3) * kLanes];
      const float* x2 = &x[(j - 2) * kLanes];
      const float* x1 = &x[(j - 1) * kLanes];
      const float* x0 = &x[j * kLanes];
      const float* xn = &x[(j + 1) * kLanes];
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) {
        const double z0 = x2[l], z1 = x3[l], r0 = x0[l], r1 = x1[l], target = xn[l];
        s[0][l] += z0 * r0;
        s[1][l] += z0 * r1;
        s[2][l] += z0;
        s[3][l] += z1 * r0;
        s[4][l] += z1 * r1;
        s[5][l] += z1;
        s[6][l] += r0;
        s[7][l] += r1;
        s[8][l] += z0 * target;
        s[9][l] += z1 * target;
        s[10][l] += target;
      }
    }
    const double rows = static_cast<double>(n - 4);
    alignas(64) float spectral[kLanes];
    spectral_peak(x.data(), spectral);
    const double bin_thz = grid_.bin_thz;
    alignas(64) float freq[kLanes];
    alignas(64) float damp[kLanes];
    for (int l = 0; l < kLanes; ++l) {
      double m[3][3] = {{s[0][l], s[1][l], s[2][l]}, {s[3][l], s[4][l], s[5][l]}, {s[6][l], s[7][l], rows}};
      double r[3] = {s[8][l], s[9][l], s[10][l]};
      double a[3] = {0, 0, 0};
      double f = spectral[l];
      double g = 1.0 / grid_.span;
      if (solve3(m, r, a) && a[1] < 0.0) {
        const double radius = std::sqrt(-a[1]);
        const double c = a[0] / (2.0 * radius);
        if (c > -1.0 && c < 1.0) {
          const double f_lp = std::acos(c) / (kTwoPi * grid_.step);
          if (std::abs(f_lp - spectral[l]) <= bin_thz) {
            f = f_lp;
            g = -std::log(radius) / grid_.step;
          }
        }
      }
      freq[l] = static_cast<float>(std::clamp<double>(f, 0.0, max_frequency_));
      damp[l] = static_cast<float>(std::clamp(g, 0.0, 5.0 / grid_.span));
    }
    // Linear least squares for the coefficients of offset, E cos, E sin (, background) on the real delays;
    // products summed in float over chunks of points, then in double.
    alignas(64) double nm[K * (K + 1) / 2][kLanes] = {};
    alignas(64) double rhs[K][kLanes] = {};
    alignas(64) float basis[K][kLanes];
    std::fill_n(basis[0], kLanes, 1.0f);
    OscillationSweep sweep;  // E cos and E sin by recurrence where the delays allow it
    if (steps_.usable()) {
      alignas(64) const float zero_phase[kLanes] = {};
      sweep.start(steps_, t_[0], freq, damp, zero_phase);
    }
    for (std::size_t k0 = 0; k0 < n; k0 += kFloatChunk) {
      const std::size_t k1 = std::min(n, k0 + kFloatChunk);
      alignas(64) float chunk_nm[K * (K + 1) / 2][kLanes] = {};
      alignas(64) float chunk_rhs[K][kLanes] = {};
      for (std::size_t k = k0; k < k1; ++k) {
        const double tk = t_[k];
        if (steps_.usable()) {
          if (k > 0) sweep.advance(steps_.index[k]);
#pragma omp simd
          for (int l = 0; l < kLanes; ++l) {
            basis[1][l] = static_cast<float>(sweep.re[l]);
            basis[2][l] = static_cast<float>(sweep.im[l]);
          }
        } else {
          const float tf = static_cast<float>(tk);
#pragma omp simd
          for (int l = 0; l < kLanes; ++l) {
            float sn;
            float cs;
            sincos_turns(reduce_turns(static_cast<double>(freq[l]) * tk), sn, cs);
            const float e = exp_nonpositive(-damp[l] * tf);
            basis[1][l] = e * cs;
            basis[2][l] = e * sn;
          }
        }
        if constexpr (K == 4) std::fill_n(basis[3], kLanes, exp_nonpositive(static_cast<float>(-tk / tau0)));
        const float* yk = &yt[k * kLanes];
#pragma GCC unroll 4
        for (int a = 0; a < K; ++a) {
#pragma omp simd
          for (int l = 0; l < kLanes; ++l) chunk_rhs[a][l] += basis[a][l] * yk[l];
#pragma GCC unroll 4
          for (int b = 0; b <= a; ++b) {
#pragma omp simd
            for (int l = 0; l < kLanes; ++l) chunk_nm[a * (a + 1) / 2 + b][l] += basis[a][l] * basis[b][l];
          }
        }
      }
      for (int a = 0; a < K; ++a) {
        for (int l = 0; l < kLanes; ++l) rhs[a][l] += chunk_rhs[a][l];
      }
      for (int q = 0; q < K * (K + 1) / 2; ++q) {
        for (int l = 0; l < kLanes; ++l) nm[q][l] += chunk_nm[q][l];
      }
    }
    for (int l = 0; l < lanes; ++l) {
      double m[K][K];
      double b[K];
      for (int a = 0; a < K; ++a) {
        b[a] = rhs[a][l];
        for (int c = 0; c <= a; ++c) m[a][c] = m[c][a] = nm[a * (a + 1) / 2 + c][l];
      }
      double coef[K] = {};
      if (cholesky_factor(m)) {
        cholesky_solve(m, b, coef);
      } else {
        coef[0] = b[0] / static_cast<double>(n);  // degenerate basis: offset only
        coef[1] = 1e-3;
      }
      float* out = seeds + (first + static_cast<std::size_t>(l)) * P;
      // A cos(wt + phi) = (A cos phi) cos wt - (A sin phi) sin wt
      out[DampedCosine::kFrequency] = freq[l];
      out[DampedCosine::kAmplitude] = static_cast<float>(std::hypot(coef[1], coef[2]));
      out[DampedCosine::kDamping] = damp[l];
      out[DampedCosine::kPhase] = static_cast<float>(std::atan2(-coef[2], coef[1]));
      out[DampedCosine::kOffset] = static_cast<float>(coef[0]);
      if constexpr (K == 4) {
        out[DampedCosineExp::kBackground] = static_cast<float>(coef[3]);
        out[DampedCosineExp::kTau] = static_cast<float>(tau0);
      }
    }
  }
}

template void DampedCosineSeeder::seed_lanes<3>(const float*, std::size_t, float*) const;
template void DampedCosineSeeder::seed_lanes<4>(const float*, std::size_t, float*) const;

}  // namespace xpulse::fit
