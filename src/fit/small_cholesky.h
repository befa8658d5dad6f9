#pragma once
// Cholesky factorisation and solves for the small dense systems of one fit (up to ~8 parameters), and a
// pivoting 3x3 solve for the seeding's linear prediction, in double (host and device).
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
    const double inverse = 1.0 / a[j][j];  // one division per column: the lanes' solver divides as slowly
    for (int i = j + 1; i < N; ++i) {
      double s = a[i][j];
      for (int k = 0; k < j; ++k) s -= a[i][k] * a[j][k];
      a[i][j] = s * inverse;
    }
  }
  return true;
}

// Solves L L^T x = b with the factor from cholesky_factor; x may alias b.
template <int N>
XPULSE_HD void cholesky_solve(const double (&l)[N][N], const double (&b)[N], double (&x)[N]) {
  double inverse[N];
  for (int i = 0; i < N; ++i) inverse[i] = 1.0 / l[i][i];
  double y[N];
  for (int i = 0; i < N; ++i) {
    double s = b[i];
    for (int k = 0; k < i; ++k) s -= l[i][k] * y[k];
    y[i] = s * inverse[i];
  }
  for (int i = N - 1; i >= 0; --i) {
    double s = y[i];
    for (int k = i + 1; k < N; ++k) s -= l[k][i] * x[k];
    x[i] = s * inverse[i];
  }
}

// Diagonal of the inverse of L L^T (parameter variances up to the chi2 factor): with M = L^-1 (lower
// triangular), (L L^T)^-1 = M^T M, so diag_j = sum over i >= j of M[i][j]^2.
template <int N>
XPULSE_HD void cholesky_inverse_diagonal(const double (&l)[N][N], double (&diag)[N]) {
  double inverse[N];
  for (int i = 0; i < N; ++i) inverse[i] = 1.0 / l[i][i];
  double m[N][N];
  for (int j = 0; j < N; ++j) {
    m[j][j] = inverse[j];
    for (int i = j + 1; i < N; ++i) {
      double s = 0.0;
      for (int k = j; k < i; ++k) s += l[i][k] * m[k][j];
      m[i][j] = -s * inverse[i];
    }
  }
  for (int j = 0; j < N; ++j) {
    double d = 0.0;
    for (int i = j; i < N; ++i) d += m[i][j] * m[i][j];
    diag[j] = d;
  }
}

// Solves the 3x3 system m x = r by Gaussian elimination with partial pivoting; false if singular.
XPULSE_HD inline bool solve3(double (&m)[3][3], double (&r)[3], double (&x)[3]) {
  for (int col = 0; col < 3; ++col) {
    int piv = col;
    for (int i = col + 1; i < 3; ++i) {
      if (std::fabs(m[i][col]) > std::fabs(m[piv][col])) piv = i;
    }
    if (!(std::fabs(m[piv][col]) > 0.0)) return false;
    for (int j = 0; j < 3; ++j) {
      const double tmp = m[col][j];
      m[col][j] = m[piv][j];
      m[piv][j] = tmp;
    }
    const double tr = r[col];
    r[col] = r[piv];
    r[piv] = tr;
    for (int i = col + 1; i < 3; ++i) {
      const double f = m[i][col] / m[col][col];
      for (int j = col; j < 3; ++j) m[i][j] -= f * m[col][j];
      r[i] -= f * r[col];
    }
  }
  for (int i = 2; i >= 0; --i) {
    double s = r[i];
    for (int j = i + 1; j < 3; ++j) s -= m[i][j] * x[j];
    x[i] = s / m[i][i];
  }
  return std::isfinite(x[0]) && std::isfinite(x[1]) && std::isfinite(x[2]);
}

}  // namespace xpulse::fit
