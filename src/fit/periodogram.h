#pragma once
// Periodogram pieces shared by the CPU seeder and the per-pixel (CUDA) seeder, so that both refine the
// spectral peak with the same arithmetic: the power of one bin of a zero-padded series by direct DFT, and the
// parabolic interpolation of the peak from its two neighbours.
#include <cmath>

#include "core/host_device.h"

namespace xpulse::fit {

// |sum_j x(j) exp(-2 pi i j b / m)|^2 over j < n, summed in float in order of j; m = fft_size is a power of two
// and cos_table/sin_table hold cos and sin of 2 pi k / m.
template <class Sample>
XPULSE_HD float dft_bin_power(const Sample& x, int n, int b, int fft_size, const float* cos_table,
                              const float* sin_table) {
  const unsigned mask = static_cast<unsigned>(fft_size - 1);
  float re = 0.0f, im = 0.0f;
  for (int j = 0; j < n; ++j) {
    const float v = x(j);
    const unsigned k = (static_cast<unsigned>(j) * static_cast<unsigned>(b)) & mask;
    re = std::fma(v, cos_table[k], re);  // explicit FMAs: the same rounding in every backend and SIMD width
    im = std::fma(-v, sin_table[k], im);
  }
  return re * re + im * im;
}

// Offset in bins (within +-0.5) of the vertex of the parabola through the powers of bins b-1, b, b+1; 0 when
// the three do not curve downwards.
XPULSE_HD inline double parabolic_offset(double left, double mid, double right) {
  const double curvature = left - 2.0 * mid + right;
  if (!(curvature < 0.0)) return 0.0;
  const double offset = 0.5 * (left - right) / curvature;
  return offset < -0.5 ? -0.5 : (offset > 0.5 ? 0.5 : offset);
}

}  // namespace xpulse::fit
