#pragma once
// Cholesky factorisation and solves for the small dense systems of one fit (up to ~8 parameters), in double.
#include <cmath>

#include "core/host_device.h"

namespace xpulse::fit {

// Factors the symmetric positive definite matrix a (row-major, n x n) in place into L (lower triangle).
// Returns false when a pivot is not positive (matrix singular or indefinite to working precision).
template <int N>
XPULSE_HD bool cholesky_factor(double (&a)[N][N]) {
  for (int j = 0; j < N; ++j) {
    double d = a[j][j];
    for (int k = 0; k < j; ++k) d -= a[j][k] * a[j][k];
    if (!(d > 0.0) || !std::isfinite(d)) return false;
    a[j][j] = std::sqrt(d);
    for (int i = j + 1; i < N; ++i) {
      double s = a[i][j];
      for (int k = 0; k < j; ++k) s -= a[i][k] * a[j][k];
      a[i][j] = s / a[j][j];
    }
  }
  return true;
}

// Solves L L^T x = b with the factor from cholesky_factor; x may alias b.
template <int N>
XPULSE_HD void cholesky_solve(const double (&l)[N][N], const double (&b)[N], double (&x)[N]) {
  double y[N];
  for (int i = 0; i < N; ++i) {
    double s = b[i];
    for (int k = 0; k < i; ++k) s -= l[i][k] * y[k];
    y[i] = s / l[i][i];
  }
  for (int i = N - 1; i >= 0; --i) {
    double s = y[i];
    for (int k = i + 1; k < N; ++k) s -= l[k][i] * x[k];
    x[i] = s / l[i][i];
  }
}

// Diagonal of the inverse of L L^T (parameter variances up to the chi2 factor).
template <int N>
XPULSE_HD void cholesky_inverse_diagonal(const double (&l)[N][N], double (&diag)[N]) {
  for (int j = 0; j < N; ++j) {
    double e[N] = {};
    e[j] = 1.0;
    double col[N];
    cholesky_solve(l, e, col);
    diag[j] = col[j];
  }
}

}  // namespace xpulse::fit
