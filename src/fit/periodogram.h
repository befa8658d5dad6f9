#pragma once
// Periodogram pieces of the seeders: the power of one bin of a zero-padded series by direct DFT (the per-pixel
// seeder of pixel_fit.h), and the parabolic interpolation of the peak from its two neighbours (both seeders).
#include <cmath>

#include "core/host_device.h"
#include "fit/oscillation_sweep.h"
#include "fit/vector_math.h"

namespace xpulse::fit {

// exp(-2 pi i b / m): the step of the DFT phasor of bin b.
XPULSE_HD inline void dft_bin_step(int b, int fft_size, double& re, double& im) {
  const double turns = static_cast<double>(b) / static_cast<double>(fft_size);
  double s;
  double c;
  sincos_turns_double(turns - round_even(turns), s, c);
  re = c;
  im = -s;
}

// |sum_j x(j) exp(-2 pi i j b / m)|^2 over j < n. The phasor advances by rotate_phasor and the products are
// summed in double in order of j: the CPU seeder runs the same arithmetic across its lanes
// (damped_cosine_seed.cpp), so both seeders refine the peak identically.
template <class Sample>
XPULSE_HD double dft_bin_power(const Sample& x, int n, int b, int fft_size) {
  double wr, wi;
  dft_bin_step(b, fft_size, wr, wi);
  double zr = 1.0, zi = 0.0, re = 0.0, im = 0.0;
  for (int j = 0; j < n; ++j) {
    const double v = x(j);
    re = std::fma(v, zr, re);
    im = std::fma(v, zi, im);
    rotate_phasor(zr, zi, wr, wi);
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
