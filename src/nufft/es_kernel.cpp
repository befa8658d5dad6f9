#include "nufft/es_kernel.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace xpulse::nufft {
namespace {

// Gauss-Legendre nodes and weights on [-1, 1] (Newton on the Legendre recurrence).
void gauss_legendre(int n, std::vector<double>& x, std::vector<double>& w) {
  x.assign(static_cast<std::size_t>(n), 0.0);
  w.assign(static_cast<std::size_t>(n), 0.0);
  for (int i = 0; i < (n + 1) / 2; ++i) {
    double z = std::cos(std::numbers::pi * (i + 0.75) / (n + 0.5));
    double dp = 0.0;
    for (int iter = 0; iter < 100; ++iter) {
      double p0 = 1.0, p1 = 0.0;
      for (int k = 1; k <= n; ++k) {
        const double p2 = p1;
        p1 = p0;
        p0 = ((2.0 * k - 1.0) * z * p1 - (k - 1.0) * p2) / k;
      }
      dp = n * (z * p0 - p1) / (z * z - 1.0);
      const double dz = p0 / dp;
      z -= dz;
      if (std::abs(dz) < 1e-16) break;
    }
    x[static_cast<std::size_t>(i)] = -z;
    x[static_cast<std::size_t>(n - 1 - i)] = z;
    w[static_cast<std::size_t>(i)] = w[static_cast<std::size_t>(n - 1 - i)] = 2.0 / ((1.0 - z * z) * dp * dp);
  }
}

}  // namespace

EsKernel EsKernel::for_tolerance(double eps) {
  EsKernel k;
  k.width = std::clamp(static_cast<int>(std::ceil(std::log10(1.0 / eps))) + 1, 2, 16);
  k.beta = 2.30 * k.width;
  return k;
}

double EsKernel::value(double z) const {
  const double t = 2.0 * z / width;
  if (std::abs(t) >= 1.0) return 0.0;
  return std::exp(beta * (std::sqrt(1.0 - t * t) - 1.0));
}

std::vector<double> EsKernel::fourier_transform(std::span<const double> xi) const {
  // psi is even: 2 * integral over [0, w/2]; the integrand is smooth there, 4w + 8 nodes are ample.
  std::vector<double> x, w;
  gauss_legendre(4 * width + 8, x, w);
  const double half = 0.5 * width;
  std::vector<double> psi(x.size()), t(x.size());
  for (std::size_t q = 0; q < x.size(); ++q) {
    t[q] = half * 0.5 * (x[q] + 1.0);
    psi[q] = value(t[q]) * w[q] * half * 0.5;
  }
  std::vector<double> out(xi.size());
  for (std::size_t i = 0; i < xi.size(); ++i) {
    double sum = 0.0;
    for (std::size_t q = 0; q < x.size(); ++q) sum += psi[q] * std::cos(xi[i] * t[q]);
    out[i] = 2.0 * sum;
  }
  return out;
}

std::vector<double> EsKernel::fourier_series(std::size_t n_modes, std::size_t nf) const {
  std::vector<double> xi(n_modes);
  const auto first = -static_cast<std::ptrdiff_t>(n_modes / 2);
  for (std::size_t i = 0; i < n_modes; ++i) {
    xi[i] = 2.0 * std::numbers::pi * static_cast<double>(first + static_cast<std::ptrdiff_t>(i)) /
            static_cast<double>(nf);
  }
  return fourier_transform(xi);
}

PiecewiseKernel::PiecewiseKernel(const EsKernel& kernel) : width_(kernel.width), degree_(kernel.width + 6) {
  const int m = degree_ + 1;  // Chebyshev nodes: the series interpolates psi there
  coefficients_.assign(static_cast<std::size_t>(m * kLanes), 0.0);
  for (int i = 0; i < width_; ++i) {
    std::vector<double> f(static_cast<std::size_t>(m));
    for (int j = 0; j < m; ++j) {
      const double s = std::cos(std::numbers::pi * (j + 0.5) / m);
      // Offset t in [0, 1) maps to s = 2t - 1; interval i covers z = t - w/2 + i.
      f[static_cast<std::size_t>(j)] = kernel.value(0.5 * (s + 1.0) - 0.5 * width_ + i);
    }
    for (int k = 0; k < m; ++k) {
      double c = 0.0;
      for (int j = 0; j < m; ++j) c += f[static_cast<std::size_t>(j)] * std::cos(std::numbers::pi * k * (j + 0.5) / m);
      coefficients_[static_cast<std::size_t>(k * kLanes + i)] = (k == 0 ? 1.0 : 2.0) * c / m;
    }
  }
}

template <class T>
void PiecewiseKernel::values(double first, T* out) const {
  const double s = 2.0 * (first + 0.5 * width_) - 1.0;
  const double two_s = 2.0 * s;
  double b1[kLanes] = {}, b2[kLanes] = {};
  for (int k = degree_; k >= 1; --k) {
    const double* c = coefficients_.data() + static_cast<std::size_t>(k * kLanes);
#pragma omp simd
    for (int i = 0; i < kLanes; ++i) {
      const double b = c[i] + two_s * b1[i] - b2[i];
      b2[i] = b1[i];
      b1[i] = b;
    }
  }
  const double* c0 = coefficients_.data();
#pragma omp simd
  for (int i = 0; i < kLanes; ++i) b2[i] = c0[i] + s * b1[i] - b2[i];
  for (int i = 0; i < width_; ++i) out[i] = static_cast<T>(b2[i]);
}
template void PiecewiseKernel::values<float>(double, float*) const;
template void PiecewiseKernel::values<double>(double, double*) const;

std::size_t fine_grid_size(std::size_t n_modes, int width) {
  return smooth_even_size(std::max<std::size_t>(2 * n_modes, 2 * static_cast<std::size_t>(width)));
}

std::size_t smooth_even_size(std::size_t n) {
  n = std::max<std::size_t>(n, 2);
  if (n % 2) ++n;
  for (;; n += 2) {
    std::size_t m = n;
    for (std::size_t p : {2, 3, 5}) {
      while (m % p == 0) m /= p;
    }
    if (m == 1) return n;
  }
}

}  // namespace xpulse::nufft
