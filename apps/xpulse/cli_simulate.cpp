// xpulse simulate pump-probe
#include <cstdio>

#include <fmt/format.h>

#include "cli.h"
#include "core/shape.h"
#include "pipelines/ptycho_simulate.h"
#include "pipelines/pumpprobe_simulate.h"
#include "pipelines/sfx_simulate.h"
#include "pipelines/spi_simulate.h"
#include "runtime/thread_pool.h"

namespace xpulse::cli {
namespace {

void add_simulate_spi(CLI::App& simulate, Action& action, const std::string& command_line) {
  auto* spi = simulate.add_subcommand(
      "spi",
      "Simulate single-particle diffraction patterns of a PDB structure in uniformly random orientations\n"
      "(xraylib form factors, polarisation, solid angle, Poisson noise); truth under /truth.");
  struct Flags {
    pipelines::SpiSimulateRequest r;
  };
  auto f = std::make_shared<Flags>();
  auto& r = f->r;
  r.threads = runtime::default_thread_count();
  spi->add_option("--pdb", r.pdb, "Structure (PDB format); biological assembly 1, waters left out")->required();
  spi->add_option("--out", r.out, "Output HDF5 file (written as FILE.partial, renamed when complete)")->required();
  spi->add_option("--images", r.options.images, "Number of patterns")->capture_default_str();
  spi->add_option("--pixels", r.options.pixels, "Detector pixels per side (square)")->capture_default_str();
  spi->add_option("--detector-width", r.options.detector_width_m, "Detector width, m")->capture_default_str();
  spi->add_option("--distance", r.options.distance_m, "Sample to detector, m")->capture_default_str();
  spi->add_option("--energy", r.options.energy_ev, "Photon energy, eV")->capture_default_str();
  spi->add_option("--photons", r.options.photons, "Photons per pulse")->capture_default_str();
  spi->add_option("--beam-radius", r.options.beam_radius_m, "Focus radius, m")->capture_default_str();
  spi->add_option("--beam-jitter", r.options.beam_jitter_px, "Std of the beam centre per image, pixels")
      ->capture_default_str();
  spi->add_option("--fluence-jitter", r.options.fluence_jitter, "Relative std of the fluence per image")
      ->capture_default_str();
  spi->add_option("--background", r.options.background, "Mean background photons per pixel")->capture_default_str();
  spi->add_option("--grid", r.options.grid, "Size M of the M^3 truth grids (odd)")->capture_default_str();
  spi->add_flag("--include-water", r.include_water, "Keep the structure's water molecules");
  spi->add_option("--seed", r.options.seed, "Random seed (results are identical for any thread count)")
      ->capture_default_str();
  spi->add_option("--threads", r.threads, "Worker threads (default: all cores)")->capture_default_str();
  spi->callback([f, &action, command_line] {
    action = [f, command_line] {
      auto r = f->r;
      r.command_line = command_line;
      const auto s = pipelines::simulate_spi_file(r);
      std::printf("xpulse simulate spi: wrote %s [%zu images x %zu x %zu] in %.2f s\n", r.out.c_str(),
                  r.options.images, r.options.pixels, r.options.pixels, s.seconds);
      std::printf("  %zu atoms, %.0f electrons; %.1f photons per image; detector edge resolution %.1f A\n",
                  s.atoms, s.electrons, s.mean_photons, s.edge_resolution);
      return 0;
    };
  });
}

void add_simulate_ptycho(CLI::App& simulate, Action& action, const std::string& command_line) {
  auto* cmd = simulate.add_subcommand(
      "ptycho",
      "Simulate a ptychographic scan: a complex object, a probe, raster or spiral positions, far-field\n"
      "intensities with Poisson noise, written as CXI with /truth/{object, probe, positions}.");
  auto r = std::make_shared<pipelines::PtychoSimulateRequest>();
  r->threads = runtime::default_thread_count();
  sim::PtychoSimOptions& o = r->options;
  cmd->add_option("--out", r->out, "Output CXI file (written as FILE.partial, renamed when complete)")->required();
  cmd->add_option("--object", r->object, "siemens, or a PNG image (grey level s gives (1 - 0.4 s) exp(-0.8 i s))")
      ->capture_default_str();
  cmd->add_option("--object-size", o.object_size, "Object pixels per side")->capture_default_str();
  cmd->add_option("--probe-size", o.probe_size, "Frame (and probe) pixels per side")->capture_default_str();
  cmd->add_option("--probe-diameter", o.diameter, "Nominal probe diameter, pixels (default 0.3 of --probe-size)");
  cmd->add_option("--probe", o.probe, "focused (defocused pupil image) | gaussian")->capture_default_str();
  cmd->add_option("--scan", o.scan, "raster | spiral (Fermat)")->capture_default_str();
  cmd->add_option("--positions", o.positions, "Scan positions")->capture_default_str();
  cmd->add_option("--overlap", o.overlap, "Overlap of neighbouring probes (of the nominal diameter, 0.3 frame)")
      ->capture_default_str();
  cmd->add_option("--photons", o.photons, "Photons per frame through a unit object")->capture_default_str();
  cmd->add_option("--position-jitter", o.position_jitter, "Std of the positions, object pixels (then rounded)")
      ->capture_default_str();
  cmd->add_flag("!--no-noise", o.noise, "Expected photons instead of Poisson counts");
  cmd->add_option("--energy", o.energy_ev, "Photon energy, eV")->capture_default_str();
  cmd->add_option("--distance", o.distance_m, "Sample to detector, m")->capture_default_str();
  cmd->add_option("--detector-pixel", o.detector_pixel_m, "Detector pixel size, m")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed (results are identical for any thread count)")->capture_default_str();
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  cmd->callback([r, &action, command_line] {
    action = [r, command_line] {
      r->command_line = command_line;
      const auto s = pipelines::simulate_ptycho_file(*r);
      std::printf("xpulse simulate ptycho: wrote %s [%zu frames x %zu x %zu] in %.2f s\n", r->out.c_str(), s.frames,
                  s.n, s.n, s.seconds);
      std::printf("  object %zux%zu pixels of %.3g m, scan step %.1f pixels, %.4g photons per frame\n",
                  s.object_size, s.object_size, s.pixel_m, s.step, s.mean_counts);
      return 0;
    };
  });
}

void add_simulate_sfx(CLI::App& simulate, Action& action, const std::string& command_line) {
  auto* cmd = simulate.add_subcommand(
      "sfx",
      "Simulate serial crystallography stills of a PDB structure's crystal (CRYST1 cell, space group's\n"
      "operators, xraylib form factors): random orientations, partial spots, water ring, Poisson and readout\n"
      "noise, a detector mask; truth under /truth.");
  auto r = std::make_shared<pipelines::SfxSimulateRequest>();
  auto pixels = std::make_shared<std::string>("1024x1024");
  r->threads = runtime::default_thread_count();
  sim::SfxOptions& o = r->options;
  cmd->add_option("--pdb", r->pdb, "Structure with a CRYST1 record")->required();
  cmd->add_option("--out", r->out, "Output CXI file (written as FILE.partial, renamed when complete)")->required();
  cmd->add_option("--frames", o.frames, "Number of frames")->capture_default_str();
  cmd->add_option("--hit-fraction", o.hit_fraction, "Probability that a frame holds a crystal")->capture_default_str();
  cmd->add_option("--pixels", *pixels, "Detector size YxX")->capture_default_str();
  cmd->add_option("--pixel-size", o.pixel_size_m, "Pixel size, m")->capture_default_str();
  cmd->add_option("--distance", o.distance_m, "Sample to detector, m")->capture_default_str();
  cmd->add_option("--energy", o.energy_ev, "Photon energy, eV")->capture_default_str();
  cmd->add_option("--crystal-size", o.crystal_size_m, "Crystal size, m")->capture_default_str();
  cmd->add_option("--mosaicity", o.mosaicity_deg, "Mosaic spread, degrees")->capture_default_str();
  cmd->add_option("--bandwidth", o.bandwidth, "Relative spectral width")->capture_default_str();
  cmd->add_option("--second-lattice-fraction", o.second_lattice_fraction,
                  "Fraction of the hits with a second crystal in another orientation")
      ->capture_default_str();
  cmd->add_option("--fluence", o.fluence, "Photons of a full reflection of mean |F|^2 near the beam")
      ->capture_default_str();
  cmd->add_option("--background", o.background, "water | none")->capture_default_str();
  cmd->add_option("--gain", o.adu_per_photon, "ADU per photon")->capture_default_str();
  cmd->add_option("--readout-noise", o.readout_noise_adu, "Readout noise, ADU")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed (results are identical for any thread count)")->capture_default_str();
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  cmd->add_option("--device", r->device, "auto | cpu | cuda (the pixels and their noise on the GPU)")
      ->capture_default_str();
  cmd->add_option("--gpu", r->cuda_device, "CUDA device index")->capture_default_str();
  cmd->add_flag("--progress", r->progress, "Frames done, rate and time left on stderr");
  cmd->callback([r, pixels, &action, command_line] {
    action = [r, pixels, command_line] {
      const auto shape = parse_shape(*pixels, 2, "--pixels");
      r->options.ny = shape[0], r->options.nx = shape[1];
      r->command_line = command_line;
      const auto s = pipelines::simulate_sfx_file(*r);
      std::printf("xpulse simulate sfx: wrote %s [%zu frames x %zu x %zu] in %.2f s (%s)\n", r->out.c_str(),
                  r->options.frames, r->options.ny, r->options.nx, s.seconds, s.device == "cuda" ? "GPU" : "CPU");
      std::printf("  %zu hits, %zu spots from %zu reflections to %.2f A at the detector corner\n", s.hits, s.spots,
                  s.reflections, s.resolution);
      return 0;
    };
  });
}

}  // namespace

void add_simulate(CLI::App& app, Action& action, const std::string& command_line) {
  auto* simulate = app.add_subcommand("simulate", "Simulate data sets with known truth");
  simulate->require_subcommand(1);
  add_simulate_spi(*simulate, action, command_line);
  add_simulate_ptycho(*simulate, action, command_line);
  add_simulate_sfx(*simulate, action, command_line);
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
