#include "pipelines/geometry_assemble.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "geometry/panel_assembly.h"
#include "io/atomic_output.h"
#include "io/crystfel_geometry.h"
#include "io/hdf5.h"
#include "io/parallel_reader.h"

namespace xpulse::pipelines {

GeometryAssembleSummary geometry_assemble(const GeometryAssembleRequest& r) {
  const geometry::PanelDetector detector = io::resolve_panels(io::read_crystfel_geometry(r.geometry));
  if (r.interpolation != "nearest" && r.interpolation != "bilinear") {
    throw InvalidArgument("--interpolation must be nearest or bilinear, got '" + r.interpolation + "'");
  }
  const geometry::Assembly plan = geometry::plan_assembly(
      detector, r.interpolation == "bilinear" ? geometry::Interpolation::bilinear : geometry::Interpolation::nearest);
  io::ReaderOptions options;
  options.threads = r.threads;
  io::ParallelReader reader(r.input, r.data_path, options);
  const std::vector<std::size_t> dims = reader.dims();
  const std::size_t fw = static_cast<std::size_t>(detector.frame_width());
  const std::size_t fh = static_cast<std::size_t>(detector.frame_height());
  if (dims.size() != 3 || dims[1] < fh || dims[2] < fw) {
    throw InputError(fmt::format("dataset '{}' of '{}' must be [frames, ss >= {}, fs >= {}] for geometry '{}'",
                                 r.data_path, r.input, fh, fw, r.geometry));
  }
  const std::size_t end = r.end_frame == 0 ? dims[0] : r.end_frame;
  if (end > dims[0] || end <= r.first_frame) {
    throw InputError(fmt::format("frames {}:{} are not within the {} frames of '{}'", r.first_frame, end, dims[0],
                                 r.data_path));
  }
  GeometryAssembleSummary s;
  s.out = r.out;
  s.frames = end - r.first_frame;
  s.width = plan.width;
  s.height = plan.height;
  io::AtomicOutput output(r.out);
  io::Writer writer(output.partial_path());
  const std::string image = "/entry_1/data_1/assembled";
  const std::vector<std::size_t> out_dims{s.frames, plan.height, plan.width};
  writer.write<float>(image, {}, out_dims, "",
                      std::vector<std::size_t>{1, plan.height, plan.width});
  std::vector<float> frame(fh * fw), assembled(plan.width * plan.height);
  for (std::size_t f = r.first_frame; f < end; ++f) {
    const std::size_t offset[3] = {f, 0, 0}, count[3] = {1, fh, fw};
    reader.read<float>(offset, count, frame.data());
    geometry::assemble(plan, frame.data(), assembled.data());
    writer.write_rows<float>(image, f - r.first_frame, assembled);
  }
  writer.attribute(image, "pixel_size_m", plan.pixel_size);
  writer.attribute(image, "x0_m", plan.x0);
  writer.attribute(image, "y0_m", plan.y0);
  writer.attribute(image, "description",
                   r.interpolation == "bilinear"
                       ? "frames placed by their panels' lab positions (bilinear from the covering panel's pixels); "
                       : "frames placed by their panels' lab positions (nearest pixel, mean where several land); "
                   "x along the width, y along the height; (x0_m, y0_m) is the centre of pixel [0, 0]; NaN in gaps");
  writer.attribute(image, "geometry", r.geometry);
  writer.attribute(image, "interpolation", r.interpolation);
  io::write_provenance(writer, r.command_line, r.input);
  writer.close();
  output.commit();
  return s;
}

}  // namespace xpulse::pipelines
