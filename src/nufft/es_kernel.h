#pragma once
// The exponential-of-semicircle spreading kernel of the NUFFT (REFERENCE.md section 2, as in FINUFFT):
// psi(z) = exp(beta (sqrt(1 - (2z/w)^2) - 1)) for |z| < w/2 fine-grid cells, 0 outside; upsampling 2,
// width w = ceil(log10(1/eps)) + 1, beta = 2.30 w.
#include <cstddef>
#include <span>
#include <vector>

namespace xpulse::nufft {

struct EsKernel {
  int width = 0;      // w, fine-grid cells
  double beta = 0.0;

  static EsKernel for_tolerance(double eps);

  double value(double z) const;

  // Fourier transform of psi (z in cells) at angular frequencies xi (radians per cell):
  // integral psi(z) cos(xi z) dz, by Gauss-Legendre quadrature.
  std::vector<double> fourier_transform(std::span<const double> xi) const;
  // The same on a fine grid of nf cells at the integer frequencies k = -N/2 .. (N-1)/2 (xi = 2 pi k / nf).
  std::vector<double> fourier_series(std::size_t n_modes, std::size_t nf) const;
};

// The kernel's w values at one point, fast: on each unit interval of its support psi is a Chebyshev series in
// the point's offset (degree w + 6), evaluated for all w intervals at once by Clenshaw's recurrence, which
// vectorises across them (no exp or sqrt per value).
class PiecewiseKernel {
 public:
  explicit PiecewiseKernel(const EsKernel& kernel);
  int width() const { return width_; }
  // psi at z = first + i for i < width (first is in [-w/2, -w/2 + 1)).
  template <class T>
  void values(double first, T* out) const;

 private:
  static constexpr int kLanes = 16;
  int width_ = 0;
  int degree_ = 0;
  std::vector<double> coefficients_;  // [degree + 1][kLanes], lane i = interval i
};

// The fine-grid size for N modes: the smallest 2,3,5-smooth even number >= max(2N, 2w).
std::size_t fine_grid_size(std::size_t n_modes, int width);
// The smallest 2,3,5-smooth even number >= n (a size FFTW transforms fast).
std::size_t smooth_even_size(std::size_t n);

}  // namespace xpulse::nufft
