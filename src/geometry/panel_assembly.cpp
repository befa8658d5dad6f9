#include "geometry/panel_assembly.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace xpulse::geometry {

Assembly plan_assembly(const PanelDetector& detector) {
  if (detector.panels.empty()) throw InputError("the geometry has no panels");
  Assembly a;
  const double res = detector.panels.front().res;
  for (const Panel& p : detector.panels) {
    if (std::abs(p.res - res) > 1e-9 * res) {
      throw InputError("panels '" + detector.panels.front().name + "' and '" + p.name +
                       "' have different res; an assembled image needs one pixel size");
    }
  }
  a.pixel_size = 1.0 / res;
  const std::size_t w = static_cast<std::size_t>(detector.frame_width());
  const std::size_t h = static_cast<std::size_t>(detector.frame_height());
  a.stored_pixels = w * h;
  // Lab x, y of every stored pixel's centre, in pixels (the distance does not matter here).
  std::vector<double> x(a.stored_pixels, NAN), y(a.stored_pixels, NAN);
  double min_x = std::numeric_limits<double>::infinity(), min_y = min_x, max_x = -min_x, max_y = -min_x;
  for (const Panel& p : detector.panels) {
    for (int ss = p.min_ss; ss <= p.max_ss; ++ss) {
      for (int fs = p.min_fs; fs <= p.max_fs; ++fs) {
        // as pixel_centre, kept in pixels so that whole-pixel layouts land exactly
        const double u = fs - p.min_fs + 0.5, v = ss - p.min_ss + 0.5;
        const std::size_t k = static_cast<std::size_t>(ss) * w + static_cast<std::size_t>(fs);
        x[k] = p.corner_x + u * p.fs[0] + v * p.ss[0];
        y[k] = p.corner_y + u * p.fs[1] + v * p.ss[1];
        min_x = std::min(min_x, x[k]);
        max_x = std::max(max_x, x[k]);
        min_y = std::min(min_y, y[k]);
        max_y = std::max(max_y, y[k]);
      }
    }
  }
  // Assembled pixel (i, j) spans [x0 + i - 0.5, x0 + i + 0.5) in pixels, x0 the smallest centre: panels laid out
  // in whole pixels put every stored centre on an assembled centre, never on a boundary.
  const double x0 = min_x, y0 = min_y;
  a.width = static_cast<std::size_t>(std::floor(max_x - x0 + 0.5)) + 1;
  a.height = static_cast<std::size_t>(std::floor(max_y - y0 + 0.5)) + 1;
  a.x0 = x0 / res;
  a.y0 = y0 / res;
  a.target.assign(a.stored_pixels, -1);
  a.hits.assign(a.width * a.height, 0);
  for (std::size_t k = 0; k < a.stored_pixels; ++k) {
    if (std::isnan(x[k])) continue;
    const auto i = static_cast<std::size_t>(std::floor(x[k] - x0 + 0.5));
    const auto j = static_cast<std::size_t>(std::floor(y[k] - y0 + 0.5));
    a.target[k] = static_cast<std::int64_t>(j * a.width + i);
    ++a.hits[j * a.width + i];
  }
  return a;
}

void assemble(const Assembly& plan, const float* frame, float* image) {
  const std::size_t n = plan.width * plan.height;
  std::vector<double> sum(n, 0.0);
  for (std::size_t k = 0; k < plan.stored_pixels; ++k) {
    if (plan.target[k] >= 0) sum[static_cast<std::size_t>(plan.target[k])] += frame[k];
  }
  for (std::size_t i = 0; i < n; ++i) {
    image[i] = plan.hits[i] > 0 ? static_cast<float>(sum[i] / plan.hits[i]) : std::numeric_limits<float>::quiet_NaN();
  }
}

}  // namespace xpulse::geometry
