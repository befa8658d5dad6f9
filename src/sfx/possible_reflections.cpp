#include "sfx/possible_reflections.h"

#include <cmath>

#include "core/error.h"
#include "sfx/merge_statistics.h"

namespace xpulse::sfx {

std::vector<std::size_t> possible_reflections(const geometry::UnitCell& cell, const MergeSymmetry& symmetry,
                                              std::span<const double> edges) {
  if (edges.size() < 2) throw InvalidArgument("possible_reflections: need at least one shell");
  const double d_min = edges.back();
  const geometry::Mat3 b = cell.b_matrix();
  // |h| = |a . s| <= |a| / d_min, with |a| the real-space length.
  const int hmax = static_cast<int>(std::ceil(cell.a / d_min)), kmax = static_cast<int>(std::ceil(cell.b / d_min)),
            lmax = static_cast<int>(std::ceil(cell.c / d_min));
  std::vector<std::size_t> counts(edges.size() - 1, 0);
  for (int h = -hmax; h <= hmax; ++h) {
    for (int k = -kmax; k <= kmax; ++k) {
      for (int l = -lmax; l <= lmax; ++l) {
        if (h == 0 && k == 0 && l == 0) continue;
        const double sx = b[0][0] * h + b[0][1] * k + b[0][2] * l, sy = b[1][0] * h + b[1][1] * k + b[1][2] * l,
                     sz = b[2][0] * h + b[2][1] * k + b[2][2] * l;
        const double d = 1 / std::sqrt(sx * sx + sy * sy + sz * sz);
        const int shell = shell_of(d, edges);
        if (shell < 0) continue;
        const Miller hkl{h, k, l};
        if (symmetry.absent(hkl)) continue;
        const AsuIndex a = symmetry.asu(hkl);
        // Counted once, at its representative; its Friedel mate too when anomalous and acentric.
        if (a.hkl != hkl) continue;
        counts[static_cast<std::size_t>(shell)] += symmetry.anomalous() && !symmetry.centric(hkl) ? 2 : 1;
      }
    }
  }
  return counts;
}

}  // namespace xpulse::sfx
