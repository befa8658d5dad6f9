#pragma once
// Branch-free float kernels for cos/sin/exp that GCC vectorises inside `omp simd` loops.
//
// Why not <cmath>: glibc's vector variants (libmvec) are only used under -ffast-math, and GCC turns
// sin/cos of one argument into scalar sincos, which blocks vectorisation. These polynomials are accurate to
// a few float ulps on the ranges used, evaluate identically in every SIMD lane, and need no fast-math.
#include <bit>
#include <cstdint>

#include "core/host_device.h"

namespace xpulse::fit {

inline constexpr double kTwoPi = 6.283185307179586476925286766559;

// Round to nearest (ties to even), as a float / double: the GCC builtins vectorise on the host.
XPULSE_HD inline float round_even(float x) {
#if defined(__CUDA_ARCH__)
  return rintf(x);
#else
  return __builtin_rintf(x);
#endif
}
XPULSE_HD inline double round_even(double x) {
#if defined(__CUDA_ARCH__)
  return rint(x);
#else
  return __builtin_rint(x);
#endif
}

// Reduces `cycles` (a phase in turns, held in double so that large 2*pi*f*t stays exact) to [-0.5, 0.5].
XPULSE_HD inline float reduce_turns(double cycles) {
  return static_cast<float>(cycles - round_even(cycles));
}

// sin(2*pi*u) and cos(2*pi*u) for u in [-0.5, 0.5] turns. Max error ~2e-7 absolute.
XPULSE_HD inline void sincos_turns(float u, float& s, float& c) {
  const float q = round_even(4.0f * u);  // quadrant, -2..2
  const float x = (u - 0.25f * q) * 6.28318530717958647692f;  // |x| <= pi/4
  const float x2 = x * x;
  // Taylor series to x^11 (sin) and x^10 (cos): truncation < 3e-9 on |x| <= pi/4.
  const float sp = x * (1.0f + x2 * (-1.6666667e-1f + x2 * (8.3333333e-3f + x2 * (-1.9841270e-4f +
                                                                               x2 * 2.7557319e-6f))));
  const float cp = 1.0f + x2 * (-0.5f + x2 * (4.1666667e-2f + x2 * (-1.3888889e-3f + x2 * (2.4801587e-5f +
                                                                                            x2 * -2.7557319e-7f))));
  const int quadrant = static_cast<int>(q) & 3;
  const float s_base = (quadrant & 1) ? cp : sp;
  const float c_base = (quadrant & 1) ? sp : cp;
  s = (quadrant & 2) ? -s_base : s_base;
  c = ((quadrant + 1) & 2) ? -c_base : c_base;
}

// exp(x) for x <= 0 (decay factors); returns 0 below -87. Relative error ~2e-7.
XPULSE_HD inline float exp_nonpositive(float x) {
  const bool underflow = x < -87.0f;
  x = underflow ? -87.0f : x;
  const float n = round_even(x * 1.44269504088896341f);
  const float r = (x - n * 0.693145751953125f) - n * 1.42860682030941723212e-6f;  // Cody-Waite ln 2
  const float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.6666667e-1f + r * (4.1666668e-2f + r * (8.3333338e-3f +
                                                                                           r * 1.3888889e-3f)))));
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
#if defined(__CUDA_ARCH__)
  const float scale = __int_as_float(bits);
#else
  const float scale = std::bit_cast<float>(bits);
#endif
  return underflow ? 0.0f : p * scale;
}

// sin(2*pi*u) and cos(2*pi*u) in double for u in [-0.5, 0.5] turns, to ~1 ulp: the start and step factors of the
// recurrences in oscillation_sweep.h, which carry their error into every later point.
XPULSE_HD inline void sincos_turns_double(double u, double& s, double& c) {
  const double q = round_even(4.0 * u);
  const double x = (u - 0.25 * q) * kTwoPi;  // |x| <= pi/4
  const double x2 = x * x;
  // Taylor series to x^17 (sin) and x^18 (cos): truncation < 1e-19 on |x| <= pi/4.
  double sp = 1.0 / 355687428096000.0;  // 1/17!
  sp = -1.0 / 1307674368000.0 + x2 * sp;
  sp = 1.0 / 6227020800.0 + x2 * sp;
  sp = -1.0 / 39916800.0 + x2 * sp;
  sp = 1.0 / 362880.0 + x2 * sp;
  sp = -1.0 / 5040.0 + x2 * sp;
  sp = 1.0 / 120.0 + x2 * sp;
  sp = -1.0 / 6.0 + x2 * sp;
  sp = x + x * x2 * sp;
  double cp = -1.0 / 6402373705728000.0;  // -1/18!
  cp = 1.0 / 20922789888000.0 + x2 * cp;
  cp = -1.0 / 87178291200.0 + x2 * cp;
  cp = 1.0 / 479001600.0 + x2 * cp;
  cp = -1.0 / 3628800.0 + x2 * cp;
  cp = 1.0 / 40320.0 + x2 * cp;
  cp = -1.0 / 720.0 + x2 * cp;
  cp = 1.0 / 24.0 + x2 * cp;
  cp = -0.5 + x2 * cp;
  cp = 1.0 + x2 * cp;
  const int quadrant = static_cast<int>(q) & 3;
  const double s_base = (quadrant & 1) ? cp : sp;
  const double c_base = (quadrant & 1) ? sp : cp;
  s = (quadrant & 2) ? -s_base : s_base;
  c = ((quadrant + 1) & 2) ? -c_base : c_base;
}

// exp(x) in double for x <= 0, to ~1 ulp; 0 below -708.
XPULSE_HD inline double exp_nonpositive_double(double x) {
  const bool underflow = x < -708.0;
  x = underflow ? -708.0 : x;
  const double n = round_even(x * 1.4426950408889634074);
  const double r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;  // Cody-Waite ln 2
  // Taylor series to r^13: truncation < 5e-18 on |r| <= ln(2) / 2.
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = 1.0 / 479001600.0 + r * p;
  p = 1.0 / 39916800.0 + r * p;
  p = 1.0 / 3628800.0 + r * p;
  p = 1.0 / 362880.0 + r * p;
  p = 1.0 / 40320.0 + r * p;
  p = 1.0 / 5040.0 + r * p;
  p = 1.0 / 720.0 + r * p;
  p = 1.0 / 120.0 + r * p;
  p = 1.0 / 24.0 + r * p;
  p = 1.0 / 6.0 + r * p;
  p = 0.5 + r * p;
  p = 1.0 + r * p;
  p = 1.0 + r * p;
  const std::int64_t bits = (static_cast<std::int64_t>(n) + 1023) << 52;
#if defined(__CUDA_ARCH__)
  const double scale = __longlong_as_double(bits);
#else
  const double scale = std::bit_cast<double>(bits);
#endif
  return underflow ? 0.0 : p * scale;
}

}  // namespace xpulse::fit
