#include "fit/damped_cosine_seed.h"

#include <algorithm>
#include <stdexcept>
#include <cmath>
#include <mutex>

#include <fftw3.h>

#include "fit/damped_cosine.h"
#include "fit/damped_cosine_exp.h"
#include "fit/lm_solver.h"
#include "fit/periodogram.h"
#include "fit/small_cholesky.h"
#include "fit/vector_math.h"

namespace xpulse::fit {

namespace {
std::mutex& fftw_planner_mutex() {  // FFTW's planner is not thread-safe; execution is
  static std::mutex m;
  return m;
}
}  // namespace

DampedCosineSeeder::DampedCosineSeeder(std::span<const double> t, float max_frequency)
    : t_(t.begin(), t.end()), max_frequency_(max_frequency), grid_(SeedingGrid::make(t, max_frequency)) {
  const std::size_t m = grid_.fft_size;
  fft_in_ = fftwf_alloc_real(m * kLanes);
  fft_out_ = fftwf_alloc_complex((m / 2 + 1) * kLanes);
  {
    std::lock_guard lock(fftw_planner_mutex());
    const int size = static_cast<int>(m);
    // FFTW_ESTIMATE: the same plan every run, so seeds (and fits) are reproducible bit for bit.
    fft_plan_ = fftwf_plan_many_dft_r2c(1, &size, kLanes, fft_in_, nullptr, kLanes, 1,
                                        static_cast<fftwf_complex*>(fft_out_), nullptr, kLanes, 1, FFTW_ESTIMATE);
  }
  if (fft_plan_ == nullptr) throw std::runtime_error("FFTW could not plan the seeding transform");
}

DampedCosineSeeder::~DampedCosineSeeder() {
  std::lock_guard lock(fftw_planner_mutex());
  if (fft_plan_ != nullptr) fftwf_destroy_plan(static_cast<fftwf_plan>(fft_plan_));
  fftwf_free(fft_in_);
  fftwf_free(fft_out_);
}

void DampedCosineSeeder::spectral_peak(const float* x, float* frequency) const {
  const std::size_t n = t_.size();
  const std::size_t m = grid_.fft_size;
  std::copy(x, x + n * kLanes, fft_in_);
  std::fill(fft_in_ + n * kLanes, fft_in_ + m * kLanes, 0.0f);
  fftwf_execute(static_cast<fftwf_plan>(fft_plan_));
  const auto* out = static_cast<const fftwf_complex*>(fft_out_);
  const double bin_thz = grid_.bin_thz;
  const std::size_t lo = grid_.bin_lo, hi = grid_.bin_hi;
  alignas(64) float best[kLanes];
  alignas(64) int where[kLanes];
  std::fill_n(best, kLanes, -1.0f);
  std::fill_n(where, kLanes, static_cast<int>(lo));
  const float* bins = reinterpret_cast<const float*>(out);  // interleaved re, im per lane
  for (std::size_t b = lo; b <= hi; ++b) {
    const float* row = bins + 2 * b * kLanes;
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      const float p = row[2 * l] * row[2 * l] + row[2 * l + 1] * row[2 * l + 1];
      const bool better = p > best[l];
      best[l] = better ? p : best[l];
      where[l] = better ? static_cast<int>(b) : where[l];
    }
  }
  // The peak's neighbours by direct DFT, as the per-pixel CUDA seeder computes them (dft_bin_power in
  // periodogram.h: each lane summed in order of j), so that both backends interpolate identically. All lanes
  // and the three bins b-1, b, b+1 are summed together so the loop vectorises.
  const unsigned index_mask = static_cast<unsigned>(m - 1);
  const float* cos_table = grid_.twiddle_cos.data();
  const float* sin_table = grid_.twiddle_sin.data();
  alignas(64) float re[3][kLanes] = {};
  alignas(64) float im[3][kLanes] = {};
  for (std::size_t j = 0; j < n; ++j) {
    const float* xj = x + j * kLanes;
    for (int d = 0; d < 3; ++d) {
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) {
        const unsigned k = (static_cast<unsigned>(j) * static_cast<unsigned>(where[l] - 1 + d)) & index_mask;
        re[d][l] = std::fma(xj[l], cos_table[k], re[d][l]);
        im[d][l] = std::fma(-xj[l], sin_table[k], im[d][l]);
      }
    }
  }
  const int half = static_cast<int>(m / 2);
  for (int l = 0; l < kLanes; ++l) {
    const int b = where[l];
    double offset = 0.0;
    if (b > 1 && b + 1 < half) {
      auto power = [&](int d) { return static_cast<double>(re[d][l] * re[d][l] + im[d][l] * im[d][l]); };
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
    // Linear least squares for the coefficients of offset, E cos, E sin (, background) on the real delays.
    alignas(64) double nm[K * (K + 1) / 2][kLanes] = {};
    alignas(64) double rhs[K][kLanes] = {};
    alignas(64) float basis[K][kLanes];
    std::fill_n(basis[0], kLanes, 1.0f);
    for (std::size_t k = 0; k < n; ++k) {
      const double tk = t_[k];
      const float tf = static_cast<float>(tk);
      const float bg = exp_nonpositive(static_cast<float>(-tk / tau0));
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) {
        float sn;
        float cs;
        sincos_turns(reduce_turns(static_cast<double>(freq[l]) * tk), sn, cs);
        const float e = exp_nonpositive(-damp[l] * tf);
        basis[1][l] = e * cs;
        basis[2][l] = e * sn;
        if constexpr (K == 4) basis[3][l] = bg;
      }
      const float* yk = &yt[k * kLanes];
#pragma GCC unroll 4
      for (int a = 0; a < K; ++a) {
#pragma omp simd
        for (int l = 0; l < kLanes; ++l) rhs[a][l] += static_cast<double>(basis[a][l] * yk[l]);
#pragma GCC unroll 4
        for (int b = 0; b <= a; ++b) {
#pragma omp simd
          for (int l = 0; l < kLanes; ++l) nm[a * (a + 1) / 2 + b][l] += static_cast<double>(basis[a][l] * basis[b][l]);
        }
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
