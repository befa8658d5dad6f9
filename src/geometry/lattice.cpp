#include "geometry/lattice.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::geometry {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
constexpr double kDeg = std::numbers::pi / 180.0;

// Integer matrices with entries in {-1, 0, 1} that preserve the metric M = UB^T UB: the lattice's point group.
std::vector<Mat3> metric_symmetries(const Mat3& ub) {
  const Mat3 metric = mul(transpose(ub), ub);
  double scale = 0.0;
  for (const auto& row : metric)
    for (double v : row) scale = std::max(scale, std::abs(v));
  std::vector<Mat3> ops;
  for (int code = 0; code < 19683; ++code) {  // 3^9 candidates
    Mat3 s{};
    int c = code;
    for (int i = 0; i < 9; ++i, c /= 3) s[i / 3][i % 3] = static_cast<double>(c % 3 - 1);
    if (std::abs(std::abs(determinant(s)) - 1.0) > 0.5) continue;
    const Mat3 m = mul(mul(transpose(s), metric), s);
    bool same = true;
    for (int i = 0; i < 3 && same; ++i)
      for (int j = 0; j < 3 && same; ++j) same = std::abs(m[i][j] - metric[i][j]) <= 1e-6 * scale;
    if (same) ops.push_back(s);
  }
  return ops;
}

}  // namespace

void UnitCell::validate() const {
  for (auto [v, name] : {std::pair{a, "a"}, std::pair{b, "b"}, std::pair{c, "c"}}) {
    if (!(v > 0.0) || !std::isfinite(v)) {
      throw InputError(fmt::format("unit cell length {} must be a positive number of Angstrom, got {}", name, v));
    }
  }
  for (auto [v, name] : {std::pair{alpha, "alpha"}, std::pair{beta, "beta"}, std::pair{gamma, "gamma"}}) {
    if (!(v > 0.0 && v < 180.0)) {
      throw InputError(fmt::format("unit cell angle {} must lie between 0 and 180 degrees, got {}", name, v));
    }
  }
  const double ca = std::cos(alpha * kDeg), cb = std::cos(beta * kDeg), cg = std::cos(gamma * kDeg);
  if (!(1.0 - ca * ca - cb * cb - cg * cg + 2.0 * ca * cb * cg > 1e-12)) {
    throw InputError(fmt::format("unit cell angles {}, {}, {} degrees do not form a cell (zero volume)", alpha,
                                 beta, gamma));
  }
}

Mat3 UnitCell::b_matrix() const {
  const double ca = std::cos(alpha * kDeg), cb = std::cos(beta * kDeg), cg = std::cos(gamma * kDeg);
  const double sa = std::sin(alpha * kDeg), sb = std::sin(beta * kDeg), sg = std::sin(gamma * kDeg);
  const double volume = a * b * c * std::sqrt(1.0 - ca * ca - cb * cb - cg * cg + 2.0 * ca * cb * cg);
  const double as = b * c * sa / volume, bs = a * c * sb / volume, cs = a * b * sg / volume;
  const double cbs = (ca * cg - cb) / (sa * sg), cgs = (ca * cb - cg) / (sa * sb);
  const double sbs = std::sqrt(1.0 - cbs * cbs), sgs = std::sqrt(1.0 - cgs * cgs);
  return {{{as, bs * cgs, cs * cbs}, {0.0, bs * sgs, -cs * sbs * ca}, {0.0, 0.0, 1.0 / c}}};
}

Crystal::Crystal(const UnitCell& cell, const Mat3& orientation) : cell_(cell), u_(orientation) {
  cell_.validate();
  if (!(orthonormality_error(u_) < 1e-6) || !(determinant(u_) > 0.0)) {
    throw InputError("sample orientation U must be a proper rotation matrix (orthonormal, determinant +1)");
  }
  ub_ = mul(u_, cell_.b_matrix());
  ub_inverse_ = inverse(ub_);
  point_group_ = metric_symmetries(ub_);
}

Crystal Crystal::from_ub(const Mat3& ub) {
  const double det = determinant(ub);
  if (!std::isfinite(det) || !(std::abs(det) > 1e-12)) {
    throw InputError("orientation matrix UB is singular (its rows must be three independent vectors)");
  }
  // Reciprocal metric -> direct metric -> cell; then U = UB B^-1.
  const Mat3 g = mul(transpose(ub), ub);
  const Mat3 direct_metric = inverse(g);
  UnitCell cell;
  cell.a = std::sqrt(direct_metric[0][0]);
  cell.b = std::sqrt(direct_metric[1][1]);
  cell.c = std::sqrt(direct_metric[2][2]);
  cell.alpha = std::acos(direct_metric[1][2] / (cell.b * cell.c)) / kDeg;
  cell.beta = std::acos(direct_metric[0][2] / (cell.a * cell.c)) / kDeg;
  cell.gamma = std::acos(direct_metric[0][1] / (cell.a * cell.b)) / kDeg;
  cell.validate();
  const Mat3 u = mul(ub, inverse(cell.b_matrix()));
  if (!(orthonormality_error(u) < 1e-6) || !(determinant(u) > 0.0)) {
    throw InputError("orientation matrix UB is not a rotation times a reciprocal basis (left-handed or sheared)");
  }
  return Crystal(cell, u);
}

Vec3 Crystal::miller(const Vec3& q) const { return scale(1.0 / kTwoPi, mul(ub_inverse_, q)); }

Vec3 Crystal::to_lab(const Vec3& hkl) const { return scale(kTwoPi, mul(ub_, hkl)); }

NearestReflection Crystal::nearest(const Vec3& q) const {
  const Vec3 h = miller(q);
  const std::array<int, 3> rounded = {static_cast<int>(std::lround(h[0])), static_cast<int>(std::lround(h[1])),
                                      static_cast<int>(std::lround(h[2]))};
  // Rounding each index is exact for orthogonal axes; oblique cells may have a closer point one step away.
  NearestReflection best;
  best.reduced_norm = std::numeric_limits<double>::infinity();
  for (int i = -1; i <= 1; ++i)
    for (int j = -1; j <= 1; ++j)
      for (int k = -1; k <= 1; ++k) {
        const std::array<int, 3> g = {rounded[0] + i, rounded[1] + j, rounded[2] + k};
        const Vec3 xi = {h[0] - g[0], h[1] - g[1], h[2] - g[2]};
        const Vec3 dq = to_lab(xi);
        const double n = norm(dq);
        if (n < best.reduced_norm) best = {g, xi, dq, n};
      }
  return best;
}

}  // namespace xpulse::geometry
