#pragma once
// 3-vectors and 3x3 matrices (row-major) for detector and crystal geometry, in double precision.
#include <array>
#include <cmath>

namespace xpulse::geometry {

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<Vec3, 3>;
// Named functions rather than operators: Vec3 and Mat3 are std::arrays, so operators here would not be found
// by argument-dependent lookup from other namespaces.

inline constexpr Mat3 kIdentity{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};

inline double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
inline double norm(const Vec3& a) { return std::sqrt(dot(a, a)); }
inline Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
inline Vec3 add(const Vec3& a, const Vec3& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
inline Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
inline Vec3 scale(double s, const Vec3& a) { return {s * a[0], s * a[1], s * a[2]}; }

inline Vec3 mul(const Mat3& m, const Vec3& v) { return {dot(m[0], v), dot(m[1], v), dot(m[2], v)}; }
inline Mat3 mul(const Mat3& a, const Mat3& b) {
  Mat3 c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) c[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
  return c;
}
inline Mat3 transpose(const Mat3& m) {
  return {{{m[0][0], m[1][0], m[2][0]}, {m[0][1], m[1][1], m[2][1]}, {m[0][2], m[1][2], m[2][2]}}};
}
inline double determinant(const Mat3& m) { return dot(m[0], cross(m[1], m[2])); }
// Inverse by cofactors; the caller checks that the determinant is not zero.
inline Mat3 inverse(const Mat3& m) {
  const double inv_det = 1.0 / determinant(m);
  const Vec3 c0 = cross(m[1], m[2]), c1 = cross(m[2], m[0]), c2 = cross(m[0], m[1]);
  return {{{c0[0] * inv_det, c1[0] * inv_det, c2[0] * inv_det},
           {c0[1] * inv_det, c1[1] * inv_det, c2[1] * inv_det},
           {c0[2] * inv_det, c1[2] * inv_det, c2[2] * inv_det}}};
}

// Rotation from Euler angles in degrees: about x first, then y, then z (R = Rz Ry Rx).
Mat3 rotation_xyz_deg(double ax, double ay, double az);
// The smallest rotation that turns direction a into direction b (both non-zero).
Mat3 rotation_between(const Vec3& a, const Vec3& b);
// Rotation by `angle` radians about a (non-zero) axis, right-handed.
Mat3 rotation_about(const Vec3& axis, double angle);
// The rotation nearest to M in the Frobenius norm (the orthogonal factor of its polar decomposition, with
// determinant +1).
Mat3 nearest_rotation(const Mat3& m);
// The angle of a rotation matrix, radians in [0, pi].
double rotation_angle(const Mat3& r);
// Largest |M^T M - I| entry: how far a matrix is from a rotation.
double orthonormality_error(const Mat3& m);

}  // namespace xpulse::geometry
