#include "sfx/misorientation.h"

#include <algorithm>
#include <numbers>

namespace xpulse::sfx {

double misorientation_deg(const geometry::Mat3& ub_a, const geometry::Mat3& ub_b, const geometry::UnitCell& cell) {
  const geometry::Crystal crystal(cell, geometry::kIdentity);
  double best = 180;
  for (const geometry::Mat3& s : crystal.point_group()) {
    if (geometry::determinant(s) < 0) continue;
    const geometry::Mat3 r = geometry::mul(ub_a, geometry::inverse(geometry::mul(ub_b, s)));
    best = std::min(best, geometry::rotation_angle(geometry::nearest_rotation(r)) * 180 / std::numbers::pi);
  }
  return best;
}

}  // namespace xpulse::sfx
