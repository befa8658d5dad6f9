#pragma once
// Per-point arithmetic of spreading and interpolation that the CUDA kernels run, one thread per point, and that
// the host runs in tests as their CPU twin: folding a coordinate onto the fine grid, the kernel's values
// (evaluated directly, exp and sqrt, which GPUs do at full rate), and the w^3 cells a point touches.
// The CPU spreader shares the folding; it evaluates the kernel by piecewise polynomials instead.
#include <math.h>

#include "core/host_device.h"

namespace xpulse::nufft {

constexpr double kNufftTwoPi = 6.283185307179586476925286766559;
constexpr int kMaxKernelWidth = 16;

// x in [-3 pi, 3 pi), folded into [0, 2 pi), in cells of a fine grid of nf cells: [0, nf).
XPULSE_HD inline double fine_coordinate(double x, double nf) {
  if (x < 0) x += kNufftTwoPi;
  if (x < 0) x += kNufftTwoPi;
  if (x >= kNufftTwoPi) x -= kNufftTwoPi;
  double u = x * (nf / kNufftTwoPi);
  if (u >= nf) u -= nf;
  return u;
}

// i in [-n, 2n) wrapped into [0, n).
XPULSE_HD inline int wrap_cell(int i, int n) { return i < 0 ? i + n : (i >= n ? i - n : i); }

XPULSE_HD inline float es_exp(float v) { return expf(v); }
XPULSE_HD inline double es_exp(double v) { return exp(v); }
XPULSE_HD inline float es_sqrt(float v) { return sqrtf(v); }
XPULSE_HD inline double es_sqrt(double v) { return sqrt(v); }

// The fine grid and kernel as the point kernels see them (mapped dimensions, fastest first).
struct SpreadShape {
  int nf[3];
  int width[3];   // 1 for an unused dimension
  double beta;
};

// The cells a point at fine coordinates u touches in each dimension: first cell start[d] (before wrapping) and
// kernel values k[d][0 .. width[d]).
template <class T>
struct PointSupport {
  int start[3];
  T k[3][kMaxKernelWidth];
};

template <class T>
XPULSE_HD inline PointSupport<T> point_support(const SpreadShape& s, const double u[3]) {
  PointSupport<T> p;
  for (int d = 0; d < 3; ++d) {
    const int w = s.width[d];
    if (w == 1) {
      p.start[d] = 0;
      p.k[d][0] = T(1);
      continue;
    }
    const double first = ceil(u[d] - 0.5 * w);
    p.start[d] = static_cast<int>(first);
    const T offset = static_cast<T>(first - u[d]);  // in [-w/2, -w/2 + 1)
    const T scale = T(2) / static_cast<T>(w);
    const T beta = static_cast<T>(s.beta);
    for (int i = 0; i < w; ++i) {
      const T t = (offset + static_cast<T>(i)) * scale;
      const T r = T(1) - t * t;
      p.k[d][i] = r > T(0) ? es_exp(beta * (es_sqrt(r) - T(1))) : T(0);
    }
  }
  return p;
}

// Adds (re, im) times the kernel to the point's cells of grid (interleaved re, im); add(cell, re, im) does the
// addition (an atomic one on the GPU).
template <class T, class Add>
XPULSE_HD inline void spread_point(const SpreadShape& s, const double u[3], T re, T im, Add&& add) {
  const PointSupport<T> p = point_support<T>(s, u);
  for (int iz = 0; iz < s.width[2]; ++iz) {
    const int z = wrap_cell(p.start[2] + iz, s.nf[2]);
    for (int iy = 0; iy < s.width[1]; ++iy) {
      const int y = wrap_cell(p.start[1] + iy, s.nf[1]);
      const T w = p.k[2][iz] * p.k[1][iy];
      const long long row = (static_cast<long long>(z) * s.nf[1] + y) * s.nf[0];
      for (int ix = 0; ix < s.width[0]; ++ix) {
        const T wx = w * p.k[0][ix];
        add(row + wrap_cell(p.start[0] + ix, s.nf[0]), wx * re, wx * im);
      }
    }
  }
}

// The kernel-weighted sum of the point's cells of grid (interleaved re, im).
template <class T>
XPULSE_HD inline void interpolate_point(const SpreadShape& s, const double u[3], const T* grid, T& re, T& im) {
  const PointSupport<T> p = point_support<T>(s, u);
  re = T(0);
  im = T(0);
  for (int iz = 0; iz < s.width[2]; ++iz) {
    const int z = wrap_cell(p.start[2] + iz, s.nf[2]);
    for (int iy = 0; iy < s.width[1]; ++iy) {
      const int y = wrap_cell(p.start[1] + iy, s.nf[1]);
      const long long row = (static_cast<long long>(z) * s.nf[1] + y) * s.nf[0];
      T row_re = T(0), row_im = T(0);
      for (int ix = 0; ix < s.width[0]; ++ix) {
        const long long cell = row + wrap_cell(p.start[0] + ix, s.nf[0]);
        row_re += p.k[0][ix] * grid[2 * cell];
        row_im += p.k[0][ix] * grid[2 * cell + 1];
      }
      const T w = p.k[2][iz] * p.k[1][iy];
      re += w * row_re;
      im += w * row_im;
    }
  }
}

}  // namespace xpulse::nufft
