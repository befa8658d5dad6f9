#include "geometry/panel_detector.h"

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace xpulse::geometry {

int PanelDetector::frame_width() const {
  int w = 0;
  for (const Panel& p : panels) w = std::max(w, p.max_fs + 1);
  return w;
}

int PanelDetector::frame_height() const {
  int h = 0;
  for (const Panel& p : panels) h = std::max(h, p.max_ss + 1);
  return h;
}

Vec3 pixel_centre(const Panel& panel, double fs, double ss, std::optional<double> clen) {
  const std::optional<double> distance = clen ? clen : panel.clen;
  if (!distance) throw InputError("panel '" + panel.name + "': clen is a dataset ('" + panel.clen_path +
                                  "'); give the detector distance");
  const double u = fs - panel.min_fs + 0.5, v = ss - panel.min_ss + 0.5;
  const double x = panel.corner_x + u * panel.fs[0] + v * panel.ss[0];
  const double y = panel.corner_y + u * panel.fs[1] + v * panel.ss[1];
  const double z = u * panel.fs[2] + v * panel.ss[2];
  return {x / panel.res, y / panel.res, *distance + panel.coffset + z / panel.res};
}

}  // namespace xpulse::geometry
