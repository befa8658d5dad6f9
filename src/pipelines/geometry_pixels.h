#pragma once
// `xpulse geometry pixels`: the lab position of every stored pixel of a CrystFEL geometry (what CrystFEL's
// make_pixelmap writes), as /pixels/{x, y, z} [frame height, frame width] in metres (NaN where no panel is) and
// /pixels/panel (uint16 panel index in file order, 65535 where none).
#include <optional>
#include <string>

namespace xpulse::pipelines {

struct GeometryPixelsRequest {
  std::string geometry;         // .geom file
  std::string out;
  std::optional<double> clen;   // metres: overrides the file's (needed when the file names a dataset for it)
  std::string command_line;
};

struct GeometryPixelsSummary {
  std::string out;
  int panels = 0, width = 0, height = 0;
};

GeometryPixelsSummary geometry_pixels(const GeometryPixelsRequest& request);

}  // namespace xpulse::pipelines
