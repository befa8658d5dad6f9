#include "sfx/direction_scores.h"

namespace xpulse::sfx {

// Built without contraction (src/CMakeLists.txt), as the CUDA twin, so that both round every operation alike.
std::vector<double> direction_scores(const ScorePeaks& peaks, double length, std::size_t n) {
  std::vector<double> out(n);
  const std::size_t m = peaks.x.size();
  for (std::size_t d = 0; d < n; ++d) {
    double tx = 0, ty = 0, tz = 0;
    fibonacci_direction(d, n, tx, ty, tz);
    const float wx = static_cast<float>(length * tx), wy = static_cast<float>(length * ty),
                wz = static_cast<float>(length * tz);
    double total = 0;
    for (std::size_t i = 0; i < m; ++i) total += cos_two_pi(wx * peaks.x[i] + wy * peaks.y[i] + wz * peaks.z[i]);
    out[d] = total;
  }
  return out;
}

}  // namespace xpulse::sfx
