#pragma once
// Unit quaternions for orientations: q = (w, x, y, z), rotating molecule-frame vectors into the lab frame.
#include <array>
#include <cstdint>
#include <vector>

#include "geometry/mat3.h"

namespace xpulse::geometry {

using Quaternion = std::array<double, 4>;  // w, x, y, z

Mat3 rotation_matrix(const Quaternion& q);

// A rotation drawn uniformly from SO(3) (Shoemake's method) from three uniform numbers in [0, 1).
Quaternion uniform_quaternion(double u1, double u2, double u3);

// n orientations uniform on SO(3), reproducible from the seed (orientation i from its own stream).
std::vector<Quaternion> random_orientations(std::size_t n, std::uint64_t seed);

// The product a b: the rotation b followed by a.
Quaternion multiply(const Quaternion& a, const Quaternion& b);

// The rotation angle (radians, in [0, pi]) between two orientations.
double rotation_distance(const Quaternion& a, const Quaternion& b);

}  // namespace xpulse::geometry
