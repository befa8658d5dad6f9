// xpulse simulate pump-probe
#include <cstdio>

#include <fmt/format.h>

#include "cli.h"
#include "core/shape.h"
#include "pipelines/pumpprobe_simulate.h"
#include "runtime/thread_pool.h"

namespace xpulse::cli {

void add_simulate(CLI::App& app, Action& action, const std::string& command_line) {
  auto* simulate = app.add_subcommand("simulate", "Simulate data sets with known truth");
  simulate->require_subcommand(1);
  auto* pp = simulate->add_subcommand(
      "pump-probe",
      "Simulate a pump-probe diffuse-scattering stack [delay, y, x] whose pixels oscillate at twice the\n"
      "acoustic phonon frequency of their reduced wavevector (simple cubic crystal); truth under /truth.");
  struct Flags {
    std::string out, shape = "200x256x256", delays = "-1:10", noise = "poisson", dtype = "float32",
                     chunks = "frame";
    bool nonuniform = false;
    double photons = 1000.0;
    std::uint64_t seed = 1;
    unsigned threads = runtime::default_thread_count();
  };
  auto f = std::make_shared<Flags>();
  pp->add_option("--out", f->out, "Output HDF5 file (written as FILE.partial, renamed when complete)")->required();
  pp->add_option("--shape", f->shape, "Stack shape DELAYSxYxX")->capture_default_str();
  pp->add_option("--delays", f->delays, "Delay range START:END in ps (t0 = 0)")->capture_default_str();
  pp->add_flag("--nonuniform", f->nonuniform, "Non-uniform delays: coarse before t0, ~3x denser at t0 than at the end");
  pp->add_option("--noise", f->noise, "Noise: poisson | gaussian (sigma = sqrt(I)) | none")->capture_default_str();
  pp->add_option("--photons", f->photons, "Mean diffuse background per pixel per frame, photons")
      ->capture_default_str();
  pp->add_option("--dtype", f->dtype, "Stored data type: float32 | uint16")->capture_default_str();
  pp->add_option("--chunks", f->chunks, "HDF5 layout: frame (1xYxX chunks) | tile (DELAYSx32x32) | none (contiguous)")
      ->capture_default_str();
  pp->add_option("--seed", f->seed, "Random seed (results are identical for any thread count)")->capture_default_str();
  pp->add_option("--threads", f->threads, "Worker threads (default: all cores)")->capture_default_str();
  pp->callback([f, &action, command_line] {
    action = [f, command_line] {
      const auto shape = parse_shape(f->shape, 3, "--shape");
      const auto range = parse_range(f->delays, "--delays");
      pipelines::SimulateRequest r;
      r.out = f->out;
      r.options.n_delay = shape[0];
      r.options.ny = shape[1];
      r.options.nx = shape[2];
      r.options.delay_start_ps = range.first;
      r.options.delay_end_ps = range.second;
      r.options.nonuniform = f->nonuniform;
      r.options.noise = sim::parse_noise(f->noise);
      r.options.photons = f->photons;
      r.options.seed = f->seed;
      r.dtype = f->dtype;
      r.chunks = f->chunks;
      r.threads = f->threads;
      r.command_line = command_line;
      const auto s = pipelines::simulate_pump_probe_file(r);
      for (const auto& w : s.warnings) std::fprintf(stderr, "xpulse: warning: %s\n", w.c_str());
      std::printf("xpulse simulate pump-probe: wrote %s [%zu delays x %zu x %zu] in %.2f s\n", s.out.c_str(),
                  r.options.n_delay, r.options.ny, r.options.nx, s.seconds);
      std::printf("  %zu pixels: %zu masked, %zu oscillating; truth under /truth\n", s.pixels, s.masked,
                  s.oscillating);
      return 0;
    };
  });
}

}  // namespace xpulse::cli
