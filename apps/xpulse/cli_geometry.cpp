// xpulse geometry pixels
#include <cstdio>

#include "cli.h"
#include "pipelines/geometry_pixels.h"

namespace xpulse::cli {

void add_geometry(CLI::App& app, Action& action, const std::string& command_line) {
  auto* geometry = app.add_subcommand("geometry", "Detector geometry files (CrystFEL .geom)");
  geometry->require_subcommand(1);
  auto* cmd = geometry->add_subcommand(
      "pixels",
      "Lab position of every stored pixel of a CrystFEL geometry: /pixels/{x, y, z} [m] and /pixels/panel,\n"
      "shaped as the stored frame (NaN where no panel is).");
  auto r = std::make_shared<pipelines::GeometryPixelsRequest>();
  cmd->add_option("GEOMETRY", r->geometry, "CrystFEL geometry file (.geom)")->required();
  cmd->add_option("--out", r->out, "Output HDF5 file")->required();
  auto clen = std::make_shared<double>(0.0);
  cmd->add_option("--clen", *clen, "Detector distance in m, overriding the file's (needed when it names a dataset)");
  cmd->callback([=, &action] {
    action = [=] {
      if (*clen != 0.0) r->clen = *clen;
      r->command_line = command_line;
      const auto s = pipelines::geometry_pixels(*r);
      std::printf("xpulse geometry pixels: %d panels, stored frame %d x %d (ss x fs)\n", s.panels, s.height, s.width);
      std::printf("  output: %s:/pixels/{x, y, z [m], panel}\n", s.out.c_str());
      return 0;
    };
  });
}

}  // namespace xpulse::cli
