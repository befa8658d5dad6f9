#pragma once
// Per-pixel operations on far fields (FFT order), shared by the engines: the modulus projection, the likelihood
// costs and their gradients chi = d cost / d conj(Psi). w: 1 measured, 0 masked (no constraint, no cost).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ptycho/frame_fft.h"

namespace xpulse::ptycho {

// Smallest |Psi|^2 the Poisson likelihood divides by (photons).
inline constexpr float kPoissonFloor = 1e-6f;

// Psi <- a Psi / |Psi| on measured pixels (a where Psi is 0); returns sum w (|Psi| - a)^2 before the projection.
// With power_bound > 0 the projection is relaxed (PtyPy's Fourier relaxation): a frame whose mean squared
// amplitude deviation e is within the bound keeps its far field, and one beyond it moves only so far that
// sqrt(bound / e) of each deviation is left, which keeps the difference map from chasing the noise.
// in_scale, out_scale: the frame holds Psi / in_scale, and out_scale times the projected Psi is written, so that
// unscaled FFTs on either side (FrameFft::forward_unscaled) cost no pass of their own.
inline double project_modulus(cfloat* psi, const float* a, const float* w, std::size_t count,
                              double power_bound = 0, float in_scale = 1.0f, float out_scale = 1.0f) {
  // Each |Psi| is taken once (a square root per pixel), and the loops are branch-free over the mask so that
  // they vectorise. Without a bound the projection needs no frame-wide decision: one pass.
  const float both = in_scale * out_scale;
  if (!(power_bound > 0)) {
    float* p = floats(psi);
    double cost = 0;
#pragma omp simd reduction(+ : cost)
    for (std::size_t k = 0; k < count; ++k) {
      const float raw = std::sqrt(p[2 * k] * p[2 * k] + p[2 * k + 1] * p[2 * k + 1]), m = in_scale * raw;
      const float d = m - a[k];
      cost += static_cast<double>(w[k] * d * d);
      // Selects, not branches (a division under a condition would not be speculated, and the loop would stay
      // scalar): the divisor is made safe instead.
      const bool measured = w[k] > 0, zero = !(raw > 0);
      const float to_a = out_scale * a[k] / (zero ? 1.0f : raw);
      const float scale = measured ? (zero ? 0.0f : to_a) : both;
      const float lift = measured && zero ? out_scale * a[k] : 0.0f;  // a zero far field takes a, real
      p[2 * k] = p[2 * k] * scale + lift, p[2 * k + 1] *= scale;
    }
    return cost;
  }
  thread_local std::vector<float> magnitudes;
  magnitudes.resize(count);
  float* m = magnitudes.data();
  float* p = floats(psi);
  double cost = 0, measured = 0;
#pragma omp simd reduction(+ : cost, measured)
  for (std::size_t k = 0; k < count; ++k) {
    m[k] = in_scale * std::sqrt(p[2 * k] * p[2 * k] + p[2 * k + 1] * p[2 * k + 1]);
    const float d = m[k] - a[k];
    cost += static_cast<double>(w[k] * d * d);
    measured += w[k];
  }
  if (cost <= power_bound * measured) {
    if (both != 1.0f) {
#pragma omp simd
      for (std::size_t k = 0; k < 2 * count; ++k) p[k] *= both;
    }
    return cost;
  }
  const auto keep = static_cast<float>(std::sqrt(power_bound * measured / cost));
#pragma omp simd
  for (std::size_t k = 0; k < count; ++k) {
    const float target = a[k] + keep * (m[k] - a[k]);
    const bool measured = w[k] > 0, zero = !(m[k] > 0);
    const float to_target = target / (zero ? 1.0f : m[k]);
    const float scale = both * (measured ? (zero ? 0.0f : to_target) : 1.0f);
    const float lift = measured && zero ? out_scale * target : 0.0f;  // a zero far field takes the target
    p[2 * k] = p[2 * k] * scale + lift, p[2 * k + 1] *= scale;
  }
  return cost;
}

// ln x for positive normal x, inline so that loops calling it vectorise (std::log is a scalar library call):
// x = 2^e m with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s) with s = (m - 1) / (m + 1), |s| <= 0.172, by its
// series to s^9 (the next term is below 1e-9 of the result): within a few float roundings of std::log.
inline float log_inline(float x) {
  const auto bits = std::bit_cast<std::uint32_t>(x);
  const std::int32_t e = static_cast<std::int32_t>(bits - 0x3f3504f3u) >> 23;  // 0x3f3504f3: sqrt(1/2)
  const float m = std::bit_cast<float>(bits - (static_cast<std::uint32_t>(e) << 23));
  const float s = (m - 1) / (m + 1), s2 = s * s;
  const float series = s * (2 + s2 * (2.0f / 3 + s2 * (2.0f / 5 + s2 * (2.0f / 7 + s2 * (2.0f / 9)))));
  return static_cast<float>(e) * 0.693147180559945f + series;
}

// The likelihood costs per pixel of Psi = re + i im, with chi = d cost / d conj(Psi) = factor Psi; on floats and
// inline so that the loops over a frame calling them vectorise.
// Gaussian amplitude: f = (|Psi| - a)^2, factor = 1 - a / |Psi| (0 where Psi is 0).
inline float gaussian_cost(float re, float im, float a, float& factor) {
  const float m = std::sqrt(re * re + im * im);
  factor = m > 0 ? 1 - a / m : 0.0f;
  return (m - a) * (m - a);
}

// Poisson: f = I - d - d log(I / d) with I = |Psi|^2 (0 at I = d), factor = 1 - d / I. No branch on d: d = 0
// gives I (0 times a finite log).
inline float poisson_cost(float re, float im, float d, float& factor) {
  const float i = std::max(re * re + im * im, kPoissonFloor);
  factor = 1 - d / i;
  return i - d - d * log_inline(i / std::max(d, kPoissonFloor));
}

}  // namespace xpulse::ptycho
