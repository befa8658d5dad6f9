#include "geometry/panel_assembly.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace xpulse::geometry {

namespace {

// For every assembled pixel, the panel under its centre and that panel's four stored pixels around it.
void plan_bilinear(const PanelDetector& detector, Assembly& a, double x0_px, double y0_px) {
  const std::size_t n = a.width * a.height, w = static_cast<std::size_t>(detector.frame_width());
  a.bilinear = true;
  a.taps.assign(n, {-1, -1, -1, -1});
  a.weights.assign(n, {0, 0, 0, 0});
  for (const Panel& p : detector.panels) {
    // (x, y) = corner + u fs + v ss in pixels; u, v in [0, width] x [0, height] on the panel.
    const double det = p.fs[0] * p.ss[1] - p.ss[0] * p.fs[1];
    if (std::abs(det) < 1e-12) throw InputError("panel '" + p.name + "' has parallel fs and ss");
    double lo_x = INFINITY, hi_x = -INFINITY, lo_y = INFINITY, hi_y = -INFINITY;
    for (const double u : {0.0, static_cast<double>(p.width())}) {
      for (const double v : {0.0, static_cast<double>(p.height())}) {
        const double x = p.corner_x + u * p.fs[0] + v * p.ss[0], y = p.corner_y + u * p.fs[1] + v * p.ss[1];
        lo_x = std::min(lo_x, x), hi_x = std::max(hi_x, x), lo_y = std::min(lo_y, y), hi_y = std::max(hi_y, y);
      }
    }
    const auto first = [](double lo, double origin) { return static_cast<long>(std::max(0.0, std::floor(lo - origin))); };
    for (long j = first(lo_y, y0_px); j < static_cast<long>(a.height) && y0_px + static_cast<double>(j) <= hi_y; ++j) {
      for (long i = first(lo_x, x0_px); i < static_cast<long>(a.width) && x0_px + static_cast<double>(i) <= hi_x; ++i) {
        const std::size_t at = static_cast<std::size_t>(j) * a.width + static_cast<std::size_t>(i);
        if (a.taps[at][0] >= 0) continue;  // the first panel that covers it
        const double dx = x0_px + static_cast<double>(i) - p.corner_x, dy = y0_px + static_cast<double>(j) - p.corner_y;
        const double u = (dx * p.ss[1] - dy * p.ss[0]) / det, v = (p.fs[0] * dy - p.fs[1] * dx) / det;
        if (u < 0 || v < 0 || u > p.width() || v > p.height()) continue;
        // Stored pixel centres sit at u = 0.5, 1.5, ...: interpolate between the two around u - 0.5.
        const double a_fs = std::clamp(u - 0.5, 0.0, static_cast<double>(p.width() - 1));
        const double a_ss = std::clamp(v - 0.5, 0.0, static_cast<double>(p.height() - 1));
        const int f0 = std::min(static_cast<int>(a_fs), p.width() - 1), s0 = std::min(static_cast<int>(a_ss), p.height() - 1);
        const int f1 = std::min(f0 + 1, p.width() - 1), s1 = std::min(s0 + 1, p.height() - 1);
        const double tf = a_fs - f0, ts = a_ss - s0;
        const auto index = [&](int f, int s) {
          return static_cast<std::int64_t>(static_cast<std::size_t>(p.min_ss + s) * w + static_cast<std::size_t>(p.min_fs + f));
        };
        a.taps[at] = {index(f0, s0), index(f1, s0), index(f0, s1), index(f1, s1)};
        a.weights[at] = {static_cast<float>((1 - tf) * (1 - ts)), static_cast<float>(tf * (1 - ts)),
                         static_cast<float>((1 - tf) * ts), static_cast<float>(tf * ts)};
      }
    }
  }
}

}  // namespace

Assembly plan_assembly(const PanelDetector& detector, Interpolation interpolation) {
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
  if (interpolation == Interpolation::bilinear) plan_bilinear(detector, a, x0, y0);
  return a;
}

void assemble(const Assembly& plan, const float* frame, float* image) {
  const std::size_t n = plan.width * plan.height;
  if (plan.bilinear) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto& t = plan.taps[i];
      const auto& wt = plan.weights[i];
      image[i] = t[0] < 0 ? std::numeric_limits<float>::quiet_NaN()
                          : wt[0] * frame[t[0]] + wt[1] * frame[t[1]] + wt[2] * frame[t[2]] + wt[3] * frame[t[3]];
    }
    return;
  }
  std::vector<double> sum(n, 0.0);
  for (std::size_t k = 0; k < plan.stored_pixels; ++k) {
    if (plan.target[k] >= 0) sum[static_cast<std::size_t>(plan.target[k])] += frame[k];
  }
  for (std::size_t i = 0; i < n; ++i) {
    image[i] = plan.hits[i] > 0 ? static_cast<float>(sum[i] / plan.hits[i]) : std::numeric_limits<float>::quiet_NaN();
  }
}

}  // namespace xpulse::geometry
