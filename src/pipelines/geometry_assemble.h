#pragma once
// `xpulse geometry assemble`: stored multi-panel frames as images of the detector in the lab, for viewing
// (geometry/panel_assembly.h): /entry_1/data_1/assembled [frames, height, width] float32, NaN in the gaps,
// nearest-pixel or bilinear.
#include <cstddef>
#include <string>

namespace xpulse::pipelines {

struct GeometryAssembleRequest {
  std::string geometry;  // .geom
  std::string input;
  std::string out;
  std::string data_path = "/entry_1/data_1/data";
  std::size_t first_frame = 0, end_frame = 0;  // end 0: to the end
  std::string interpolation = "nearest";       // nearest | bilinear
  unsigned threads = 1;
  std::string command_line;
};

struct GeometryAssembleSummary {
  std::string out;
  std::size_t frames = 0, width = 0, height = 0;
};

GeometryAssembleSummary geometry_assemble(const GeometryAssembleRequest& request);

}  // namespace xpulse::pipelines
