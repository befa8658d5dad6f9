#include "geometry/mat3.h"

#include <algorithm>
#include <numbers>

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

double orthonormality_error(const Mat3& m) {
  const Mat3 p = mul(transpose(m), m);
  double worst = 0.0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) worst = std::max(worst, std::abs(p[i][j] - (i == j ? 1.0 : 0.0)));
  return worst;
}

}  // namespace xpulse::geometry
