#include "geometry/panel_pixel_map.h"

#include <cmath>
#include <cstddef>

#include "core/error.h"

namespace xpulse::geometry {
namespace {

bool in_bad_region(const BadRegion& b, const Panel& p, int fs, int ss, double x_px, double y_px) {
  if (!b.panel.empty() && b.panel != p.name) return false;
  if (b.in_lab) return x_px >= b.min_x && x_px <= b.max_x && y_px >= b.min_y && y_px <= b.max_y;
  return fs >= b.min_fs && fs <= b.max_fs && ss >= b.min_ss && ss <= b.max_ss;
}

}  // namespace

PanelPixelMap panel_pixel_map(const PanelDetector& detector) {
  if (detector.panels.size() >= kNoPanel) throw InputError("the geometry has more than 65534 panels");
  PanelPixelMap m;
  m.width = detector.frame_width();
  m.height = detector.frame_height();
  const std::size_t w = static_cast<std::size_t>(m.width), size = w * static_cast<std::size_t>(m.height);
  m.panel.assign(size, kNoPanel);
  m.radius_px.assign(size, 0.0f);
  m.ignored.assign(size, 1);
  for (std::size_t i = 0; i < detector.panels.size(); ++i) {
    const Panel& p = detector.panels[i];
    for (int ss = p.min_ss; ss <= p.max_ss; ++ss) {
      for (int fs = p.min_fs; fs <= p.max_fs; ++fs) {
        // Across the beam only: the distance along it does not enter (clen 0 stands in for it).
        const Vec3 at = pixel_centre(p, fs, ss, 0.0);
        const double x_px = at[0] * p.res, y_px = at[1] * p.res;
        const std::size_t k = static_cast<std::size_t>(ss) * w + static_cast<std::size_t>(fs);
        m.panel[k] = static_cast<std::uint16_t>(i);
        m.radius_px[k] = static_cast<float>(std::hypot(x_px, y_px));
        bool bad = p.no_index;
        for (const BadRegion& b : detector.bad_regions) bad = bad || in_bad_region(b, p, fs, ss, x_px, y_px);
        m.ignored[k] = bad ? 1 : 0;
      }
    }
  }
  return m;
}

}  // namespace xpulse::geometry
