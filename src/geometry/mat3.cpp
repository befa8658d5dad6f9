#include "geometry/mat3.h"

#include <algorithm>
#include <numbers>

#include <Eigen/Dense>

namespace xpulse::geometry {

Mat3 rotation_xyz_deg(double ax, double ay, double az) {
  const double d = std::numbers::pi / 180.0;
  const double cx = std::cos(ax * d), sx = std::sin(ax * d);
  const double cy = std::cos(ay * d), sy = std::sin(ay * d);
  const double cz = std::cos(az * d), sz = std::sin(az * d);
  const Mat3 rx{{{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}}};
  const Mat3 ry{{{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}}};
  const Mat3 rz{{{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}}};
  return mul(rz, mul(ry, rx));
}

Mat3 rotation_between(const Vec3& a, const Vec3& b) {
  const Vec3 u = scale(1.0 / norm(a), a), v = scale(1.0 / norm(b), b);
  const double c = dot(u, v);
  Vec3 axis = cross(u, v);
  const double s = norm(axis);
  if (s < 1e-15) {
    if (c > 0) return kIdentity;
    // Antiparallel: half turn about any axis perpendicular to u.
    axis = std::abs(u[0]) < 0.9 ? cross(u, Vec3{1, 0, 0}) : cross(u, Vec3{0, 1, 0});
    axis = scale(1.0 / norm(axis), axis);
    Mat3 r{};
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) r[i][j] = 2.0 * axis[i] * axis[j] - (i == j ? 1.0 : 0.0);
    return r;
  }
  axis = scale(1.0 / s, axis);
  // Rodrigues: R = c I + s [k]x + (1 - c) k k^T.
  const Mat3 k{{{0, -axis[2], axis[1]}, {axis[2], 0, -axis[0]}, {-axis[1], axis[0], 0}}};
  Mat3 r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[i][j] = (i == j ? c : 0.0) + s * k[i][j] + (1.0 - c) * axis[i] * axis[j];
  return r;
}

Mat3 rotation_about(const Vec3& axis, double angle) {
  const Vec3 k = scale(1.0 / norm(axis), axis);
  const double c = std::cos(angle), s = std::sin(angle);
  const Mat3 x{{{0, -k[2], k[1]}, {k[2], 0, -k[0]}, {-k[1], k[0], 0}}};
  Mat3 r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[i][j] = (i == j ? c : 0.0) + s * x[i][j] + (1.0 - c) * k[i] * k[j];
  return r;
}

Mat3 nearest_rotation(const Mat3& m) {
  Eigen::Matrix3d a;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) a(i, j) = m[i][j];
  const Eigen::JacobiSVD<Eigen::Matrix3d> svd(a, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Eigen::Matrix3d d = Eigen::Matrix3d::Identity();
  d(2, 2) = (svd.matrixU() * svd.matrixV().transpose()).determinant() < 0 ? -1.0 : 1.0;
  const Eigen::Matrix3d r = svd.matrixU() * d * svd.matrixV().transpose();
  Mat3 out{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) out[i][j] = r(i, j);
  return out;
}

double rotation_angle(const Mat3& r) {
  return std::acos(std::clamp((r[0][0] + r[1][1] + r[2][2] - 1.0) / 2.0, -1.0, 1.0));
}

double orthonormality_error(const Mat3& m) {
  const Mat3 p = mul(transpose(m), m);
  double worst = 0.0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) worst = std::max(worst, std::abs(p[i][j] - (i == j ? 1.0 : 0.0)));
  return worst;
}

}  // namespace xpulse::geometry
