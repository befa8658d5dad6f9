#include "pipelines/geometry_pixels.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/crystfel_geometry.h"
#include "io/hdf5.h"

namespace xpulse::pipelines {

GeometryPixelsSummary geometry_pixels(const GeometryPixelsRequest& r) {
  if (r.clen && !(std::isfinite(*r.clen) && *r.clen > 0.0)) throw InvalidArgument("--clen must be a positive distance in m");
  const geometry::PanelDetector detector = io::resolve_panels(io::read_crystfel_geometry(r.geometry));
  GeometryPixelsSummary s;
  s.out = r.out;
  s.panels = static_cast<int>(detector.panels.size());
  s.width = detector.frame_width();
  s.height = detector.frame_height();
  const std::size_t w = static_cast<std::size_t>(s.width), h = static_cast<std::size_t>(s.height);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> x(w * h, nan), y(w * h, nan), z(w * h, nan);
  std::vector<std::uint16_t> panel(w * h, 65535);
  for (std::size_t i = 0; i < detector.panels.size(); ++i) {
    const geometry::Panel& p = detector.panels[i];
    for (int ss = p.min_ss; ss <= p.max_ss; ++ss) {
      for (int fs = p.min_fs; fs <= p.max_fs; ++fs) {
        const geometry::Vec3 at = geometry::pixel_centre(p, fs, ss, r.clen);
        const std::size_t k = static_cast<std::size_t>(ss) * w + static_cast<std::size_t>(fs);
        x[k] = at[0];
        y[k] = at[1];
        z[k] = at[2];
        panel[k] = static_cast<std::uint16_t>(i);
      }
    }
  }
  io::AtomicOutput output(r.out);
  io::Writer writer(output.partial_path());
  const std::vector<std::size_t> dims{h, w};
  writer.write<double>("/pixels/x", x, dims, "m");
  writer.write<double>("/pixels/y", y, dims, "m");
  writer.write<double>("/pixels/z", z, dims, "m");
  writer.write<std::uint16_t>("/pixels/panel", panel, dims);
  writer.attribute("/pixels", "description",
                   "lab position of each stored pixel's centre (x, y across the beam, z along it); NaN and panel "
                   "65535 where no panel covers the pixel");
  writer.attribute("/pixels", "geometry", r.geometry);
  io::write_provenance(writer, r.command_line, r.geometry);
  writer.close();
  output.commit();
  return s;
}

}  // namespace xpulse::pipelines
