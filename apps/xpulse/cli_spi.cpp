// xpulse spi reconstruct | score
#include <cmath>
#include <cstdio>
#include <sstream>

#include <fmt/format.h>

#include "cli.h"
#include "core/error.h"
#include "pipelines/spi_reconstruct.h"
#include "pipelines/spi_score.h"
#include "runtime/progress.h"
#include "runtime/run_recorder.h"
#include "runtime/thread_pool.h"
#include "runtime/world.h"

namespace xpulse::cli {
namespace {

std::vector<double> parse_lambdas(const std::string& text) {
  std::vector<double> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    try {
      std::size_t used = 0;
      const double v = std::stod(part, &used);
      if (used != part.size()) throw std::invalid_argument(part);
      out.push_back(v);
    } catch (const std::exception&) {
      throw InvalidArgument(fmt::format("--lambdas: '{}' is not a number (expected e.g. 1e-2,1e-3,1e-4)", part));
    }
  }
  if (out.empty()) throw InvalidArgument("--lambdas needs at least one value");
  return out;
}

void add_reconstruct(CLI::App& spi, Action& action, const std::string& command_line) {
  auto* cmd = spi.add_subcommand(
      "reconstruct",
      "M-TIP: the 3D electron density from SPI patterns in unknown orientations (slicing, orientation matching,\n"
      "merging by conjugate gradient, phasing by ER/HIO with shrinkwrap), checkpointed after every generation.\n"
      "Under mpirun the images are split over the ranks; rank 0 merges, phases and writes.");
  auto r = std::make_shared<pipelines::SpiReconstructRequest>();
  auto lambdas = std::make_shared<std::string>("1e-2,1e-3,1e-4,1e-5");
  auto progress = std::make_shared<bool>(false);
  r->threads = runtime::default_thread_count();
  cmd->add_option("INPUT", r->input, "SPI data: /entry_1/data_1/data [N, y, x] and the detector's q, polarization, "
                                     "solid_angle (as `xpulse simulate spi` writes)")->required();
  cmd->add_option("--out", r->out, "Output HDF5 file (written as FILE.partial, renamed when complete)")->required();
  cmd->add_option("--mrc", r->mrc, "CCP4/MRC map of the density (default: OUT with the extension .mrc)");
  cmd->add_option("--grid", r->options.grid, "Size M of the M^3 grids (odd)")->capture_default_str();
  cmd->add_option("--generations", r->generations, "M-TIP generations (generation 0 uses random orientations)")
      ->capture_default_str();
  cmd->add_option("--orientations", r->options.references, "Reference orientations per generation")
      ->capture_default_str();
  cmd->add_option("--phasing", r->options.phasing, "Phasing schedule per generation")->capture_default_str();
  cmd->add_option("--lambdas", *lambdas, "Tikhonov values relative to the number of data points; the L-curve picks one")
      ->capture_default_str();
  cmd->add_option("--seed", r->options.seed, "Random seed (orientations, references, phasing start)")
      ->capture_default_str();
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  cmd->add_option("--device", r->device, "auto | cpu | cuda")->capture_default_str();
  cmd->add_flag("--resume", r->resume, "Continue from the checkpoint of an interrupted run (OUT.journal/)");
  cmd->add_flag("--progress", *progress, "Print progress even when stderr is not a terminal");
  cmd->callback([=, &action] {
    action = [=] {
      r->options.merge.lambdas = parse_lambdas(*lambdas);
      r->progress = *progress || runtime::Progress::stderr_is_terminal();
      r->command_line = command_line;
      const auto s = pipelines::spi_reconstruct_file(*r);
      if (!runtime::World::get().is_root()) return 0;
      runtime::RunRecorder& record = runtime::RunRecorder::get();
      record.input(r->input), record.output(r->out), record.output(s.mrc);
      record.metric("generations", s.generations);
      if (!s.history.empty()) record.metric("fourier_error", s.history.back().fourier_error);
      std::printf("xpulse spi reconstruct: %zu images of %zu pixels, %d generations (%d resumed), grid %zu^3 at "
                  "%.2f A voxels, %.1f s\n",
                  s.images, s.pixels, s.generations, s.resumed_generations, r->options.grid, s.voxel, s.seconds);
      if (!s.history.empty()) {
        const auto& g = s.history.back();
        std::printf("  last generation: slice %.2f s, match %.2f s, merge %.2f s, phase %.2f s; orientation change "
                    "%.3f rad, lambda %g, support %zu voxels, Fourier error %.3f\n",
                    g.slice_seconds, g.match_seconds, g.merge_seconds, g.phase_seconds, g.orientation_change,
                    g.lambda, g.support, g.fourier_error);
      }
      std::printf("  detector-edge resolution %.1f A\n", s.edge_resolution);
      std::printf("  wrote %s:/reconstruction/{density, intensity, autocorrelation, support, orientations, scales}, "
                  "/history/*, and %s\n",
                  r->out.c_str(), s.mrc.c_str());
      return 0;
    };
  });
}

void add_score(CLI::App& spi, Action& action, const std::string& command_line) {
  auto* cmd = spi.add_subcommand(
      "score",
      "Superpose a reconstruction on the simulation's truth density (rotation search, both hands, sub-voxel\n"
      "shift); print the correlation and the FSC 0.5 resolution.");
  auto r = std::make_shared<pipelines::SpiScoreRequest>();
  r->threads = runtime::default_thread_count();
  cmd->add_option("RECON", r->reconstruction, "Output of `xpulse spi reconstruct`")->required();
  cmd->add_option("--truth", r->truth, "The simulation file (with /truth/density)")->required();
  cmd->add_option("--out", r->out, "HDF5 file for the FSC curve and the aligned density");
  cmd->add_option("--rotations", r->rotations, "Rotations of the coarse search")->capture_default_str();
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  cmd->callback([=, &action] {
    action = [=] {
      r->command_line = command_line;
      const auto s = pipelines::spi_score_file(*r);
      std::printf("xpulse spi score: CC %.3f (%s hand, shift %.2f %.2f %.2f voxels), FSC 0.5 at %s%.1f A "
                  "(detector edge %.1f A, ratio %.2f), %.1f s\n",
                  s.cc, s.inverted ? "mirrored" : "same", s.shift[0], s.shift[1], s.shift[2],
                  s.fsc.crossed ? "" : "better than ", s.fsc.resolution, s.edge_resolution,
                  s.fsc.resolution / s.edge_resolution, s.seconds);
      for (std::size_t k = 1; k < s.fsc.fsc.size(); ++k) {
        std::printf("  shell %2zu  %7.4f 1/A  %6.1f A  FSC %6.3f\n", k, s.fsc.frequency[k], 1.0 / s.fsc.frequency[k],
                    s.fsc.fsc[k]);
      }
      if (!r->out.empty()) std::printf("  wrote %s:/score/*\n", r->out.c_str());
      return 0;
    };
  });
}

}  // namespace

void add_spi(CLI::App& app, Action& action, const std::string& command_line) {
  auto* spi = app.add_subcommand("spi", "Single-particle imaging: M-TIP reconstruction and scoring");
  spi->require_subcommand(1);
  add_reconstruct(*spi, action, command_line);
  add_score(*spi, action, command_line);
}

}  // namespace xpulse::cli
