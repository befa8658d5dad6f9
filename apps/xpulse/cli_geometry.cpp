// xpulse geometry pixels
#include <cstdio>

#include "cli.h"
#include "pipelines/geometry_assemble.h"
#include "pipelines/geometry_pixels.h"
#include "runtime/thread_pool.h"

namespace xpulse::cli {

void add_geometry_assemble(CLI::App* geometry, Action& action, const std::string& command_line);

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
  add_geometry_assemble(geometry, action, command_line);
}

void add_geometry_assemble(CLI::App* geometry, Action& action, const std::string& command_line) {
  auto* cmd = geometry->add_subcommand(
      "assemble",
      "Stored multi-panel frames as images of the detector in the lab (nearest pixel or bilinear, NaN in the\n"
      "gaps):\n"
      "/entry_1/data_1/assembled [frames, height, width], for viewing.");
  auto r = std::make_shared<pipelines::GeometryAssembleRequest>();
  r->threads = runtime::default_thread_count();
  cmd->add_option("GEOMETRY", r->geometry, "CrystFEL geometry file (.geom)")->required();
  cmd->add_option("INPUT", r->input, "HDF5 file with the stored frames [frames, ss, fs]")->required();
  cmd->add_option("--out", r->out, "Output HDF5 file")->required();
  cmd->add_option("--data", r->data_path, "Dataset of the frames")->capture_default_str();
  cmd->add_option("--first", r->first_frame, "First frame")->capture_default_str();
  cmd->add_option("--end", r->end_frame, "One past the last frame (0: to the end)")->capture_default_str();
  cmd->add_option("--threads", r->threads, "Reader threads (default: all cores)")->capture_default_str();
  cmd->add_option("--interpolation", r->interpolation,
                  "nearest (each stored pixel into the assembled pixel holding its centre) or bilinear (each\n"
                  "assembled pixel from the four stored pixels around it on its panel)")
      ->capture_default_str();
  cmd->callback([=, &action] {
    action = [=] {
      r->command_line = command_line;
      const auto s = pipelines::geometry_assemble(*r);
      std::printf("xpulse geometry assemble: %zu frames as %zu x %zu images\n", s.frames, s.height, s.width);
      std::printf("  output: %s:/entry_1/data_1/assembled\n", s.out.c_str());
      return 0;
    };
  });
}

}  // namespace xpulse::cli
