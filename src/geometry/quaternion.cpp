#include "geometry/quaternion.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "sim/random.h"

namespace xpulse::geometry {

Mat3 rotation_matrix(const Quaternion& q) {
  const double w = q[0], x = q[1], y = q[2], z = q[3];
  return {{{1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)},
           {2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)},
           {2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}}};
}

Quaternion uniform_quaternion(double u1, double u2, double u3) {
  const double a = std::sqrt(1 - u1), b = std::sqrt(u1);
  const double t1 = 2 * std::numbers::pi * u2, t2 = 2 * std::numbers::pi * u3;
  Quaternion q = {b * std::cos(t2), a * std::sin(t1), a * std::cos(t1), b * std::sin(t2)};
  if (q[0] < 0) q = {-q[0], -q[1], -q[2], -q[3]};  // q and -q are the same rotation; keep w >= 0
  return q;
}

std::vector<Quaternion> random_orientations(std::size_t n, std::uint64_t seed) {
  std::vector<Quaternion> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    sim::Xoshiro256 rng(seed, i);
    const double u1 = rng.uniform(), u2 = rng.uniform(), u3 = rng.uniform();
    out[i] = uniform_quaternion(u1, u2, u3);
  }
  return out;
}

Quaternion multiply(const Quaternion& a, const Quaternion& b) {
  return {a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3], a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
          a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1], a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0]};
}

double rotation_distance(const Quaternion& a, const Quaternion& b) {
  const double d = std::abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]);
  return 2 * std::acos(std::min(1.0, d));
}

}  // namespace xpulse::geometry
