// xpulse ptycho reconstruct | score
#include <cstdio>
#include <memory>

#include "cli.h"
#include "pipelines/ptycho_follow.h"
#include "pipelines/ptycho_frame_source.h"
#include "pipelines/ptycho_reconstruct.h"
#include "pipelines/ptycho_score.h"
#include "runtime/run_recorder.h"
#include "runtime/thread_pool.h"
#include "runtime/world.h"

namespace xpulse::cli {
namespace {

void add_reconstruct(CLI::App& ptycho, Action& action, const std::string& command_line) {
  auto* cmd = ptycho.add_subcommand(
      "reconstruct",
      "Reconstruct object (and probe) from a ptychographic scan in CXI: ePIE, difference map, or maximum\n"
      "likelihood (Gaussian or Poisson) by conjugate gradient. Under mpirun the frames are split over the ranks.");
  auto r = std::make_shared<pipelines::PtychoReconstructRequest>();
  auto algorithm = std::make_shared<std::string>("ml");
  auto noise = std::make_shared<std::string>("gaussian");
  r->threads = runtime::default_thread_count();
  cmd->add_option("INPUT", r->input, "CXI file: frames, translations, distance, pixel size, energy (mask optional)")
      ->required();
  cmd->add_option("--out", r->out, "Output HDF5 file (written as FILE.partial, renamed when complete)")->required();
  cmd->add_option("--algorithm", *algorithm, "epie | dm | ml")->capture_default_str();
  cmd->add_option("--noise", *noise, "ML likelihood: gaussian (amplitudes) | poisson")->capture_default_str();
  cmd->add_option("--iterations", r->course.iterations, "Iterations of --algorithm")->capture_default_str();
  cmd->add_option("--warm-up", r->course.warm_up,
                  "ML: difference-map iterations (probe refined) before ML, from a cold start")
      ->capture_default_str();
  cmd->add_flag("--probe-refine,!--fixed-probe", r->course.probe_refine,
                "Refine the probe with the object (default), or keep the starting probe");
  cmd->add_option("--probe-start", r->course.probe_start, "Iterations of the object alone before the probe is refined")
      ->capture_default_str();
  cmd->add_option("--centre-tolerance", r->course.centre_tolerance,
                  "Pixels the refined probe's centre of mass may leave the frame's centre before probe and object "
                  "are rolled back together (0: off)")
      ->capture_default_str();
  cmd->add_option("--average", r->course.average,
                  "ePIE, DM: return the mean object and probe over this last fraction of the iterations (0: the last)")
      ->capture_default_str();
  cmd->add_option("--probe", r->probe, "Starting probe FILE:/dataset (complex, frame-sized); default: from the data");
  cmd->add_option("--batch", r->options.batch, "Frames per parallel batch (ML)")->capture_default_str();
  cmd->add_option("--epie-step", r->options.epie_object_step, "ePIE object step alpha")->capture_default_str();
  cmd->add_option("--epie-probe-step", r->options.epie_probe_step, "ePIE probe step beta")->capture_default_str();
  cmd->add_option("--fourier-relax", r->options.fourier_relax,
                  "DM: relax the modulus projection within 0.25 F^2 of the mean intensity (0: exact)")
      ->capture_default_str();
  cmd->add_option("--dm-alpha", r->options.dm_alpha,
                  "DM: 1 the difference map, 0 alternating projections (PtyPy's alpha)")
      ->capture_default_str();
  cmd->add_option("--dm-settle", r->course.dm_settle,
                  "DM: fraction of its last iterations over which alpha falls linearly to 0 (alternating "
                  "projections), so that it settles instead of circling its fixed point (0: constant alpha)")
      ->capture_default_str();
  cmd->add_option("--rpie", r->options.epie_regularisation,
                  "ePIE: rPIE's object step regularisation r, conj(P) / ((1 - r) |P|^2 + r max|P|^2) (1: ePIE)")
      ->capture_default_str();
  cmd->add_option("--seed", r->options.seed, "Random seed (ePIE's position order)")->capture_default_str();
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  cmd->add_option("--device", r->device, "auto | cpu | cuda")->capture_default_str();
  cmd->add_option("--log-every", r->log_every, "Iterations between cost log lines")->capture_default_str();
  cmd->add_flag("--progress", r->progress, "Print progress even when stderr is not a terminal");
  auto memory = std::make_shared<std::string>();
  cmd->add_option("--memory", *memory,
                  "Bytes the frames may hold in memory (e.g. 8G); above it ML reads them from the file in batches at "
                  "every pass, with the same results (default: no limit)");
  add_follow_options(cmd, r->follow, r->follow_options);
  cmd->add_option("--update", r->update_seconds,
                  "With --follow: seconds of iterations between previews written to --out")
      ->capture_default_str();
  cmd->callback([=, &action] {
    action = [=] {
      r->options.algorithm = ptycho::parse_algorithm(*algorithm);
      if (!memory->empty()) r->memory = pipelines::parse_bytes(*memory, "--memory");
      r->options.noise = ptycho::parse_noise_model(*noise);
      r->command_line = command_line;
      const auto s = r->follow ? pipelines::ptycho_follow_file(*r) : pipelines::ptycho_reconstruct_file(*r);
      if (!runtime::World::get().is_root()) return 0;
      runtime::RunRecorder& record = runtime::RunRecorder::get();
      record.input(r->input), record.output(r->out);
      record.metric("iterations", static_cast<double>(s.history.size()));
      record.metric("cost", s.history.back().cost);
      double per_iteration = 0, fft = 0;
      for (const auto& g : s.history) per_iteration += g.seconds, fft += g.fft_seconds;
      per_iteration /= static_cast<double>(s.history.size());
      std::printf("xpulse ptycho reconstruct: %s, %zu frames of %zux%zu, object %zux%zu (%.3g m pixels), %zu "
                  "iterations in %.1f s (%.3f s per iteration, %.0f%% of thread time in FFTs)\n",
                  algorithm->c_str(), s.frames, s.n, s.n, s.object_ny, s.object_nx, s.pixel_m, s.history.size(),
                  s.seconds, per_iteration,
                  100 * fft / (per_iteration * static_cast<double>(s.history.size()) * r->threads));
      std::printf("  cost %.4g -> %.4g; the final model's cost %.4g, %.2f times what Poisson noise alone would leave\n",
                  s.history.front().cost, s.history.back().cost, s.fit.cost,
                  s.fit.expected > 0 ? s.fit.cost / s.fit.expected : 0.0);
      if (s.shifted[0] != 0 || s.shifted[1] != 0) {
        std::printf("  probe and object rolled by (%d, %d) pixels to keep the probe centred\n", s.shifted[0],
                    s.shifted[1]);
      }
      if (!s.warning.empty()) std::printf("  warning: %s\n", s.warning.c_str());
      if (s.streamed_frames > 0) {
        std::printf("  frames streamed from the file: %zu frame reads (%.1f per frame)\n", s.streamed_frames,
                    static_cast<double>(s.streamed_frames) / static_cast<double>(s.frames));
      }
      if (r->follow) std::printf("  followed the scan while it was written: %d previews\n", s.previews);
      std::printf("  wrote %s:/reconstruction/{object, probe, positions}, /history/*\n", r->out.c_str());
      return 0;
    };
  });
}

void add_score(CLI::App& ptycho, Action& action, const std::string& command_line) {
  auto* cmd = ptycho.add_subcommand(
      "score",
      "Error of a reconstructed object against the simulation's truth over the illuminated region, after the\n"
      "best complex factor and linear phase ramp, and the SSIM of the phase.");
  auto r = std::make_shared<pipelines::PtychoScoreRequest>();
  cmd->add_option("RECON", r->reconstruction, "Output of `xpulse ptycho reconstruct`")->required();
  cmd->add_option("--truth", r->truth, "The simulation (CXI with /truth)")->required();
  cmd->add_option("--out", r->out, "HDF5 file for the corrected object and the scored region");
  cmd->add_flag("!--keep-ramp", r->remove_ramp, "Fit only a complex factor, no phase ramp");
  cmd->add_flag("!--keep-shift", r->remove_shift, "Do not move the reconstruction by the best sub-pixel translation");
  cmd->callback([=, &action] {
    action = [=] {
      r->command_line = command_line;
      const auto s = pipelines::ptycho_score_file(*r);
      std::printf("xpulse ptycho score: error %.4e, phase SSIM %.4f over %zu pixels, %.1f s\n", s.error, s.phase_ssim,
                  s.pixels, s.seconds);
      std::printf("  removed: translation (%.3f, %.3f) pixels (rows, columns), factor %.4f at %.4f rad, phase ramp "
                  "(%.3g, %.3g) rad/pixel\n",
                  s.shift[0], s.shift[1], std::abs(s.factor), std::arg(s.factor), s.ramp[0], s.ramp[1]);
      if (!r->out.empty()) std::printf("  wrote %s:/score/*\n", r->out.c_str());
      return 0;
    };
  });
}

}  // namespace

void add_ptycho(CLI::App& app, Action& action, const std::string& command_line) {
  auto* ptycho = app.add_subcommand("ptycho", "Ptychography: reconstruction and scoring");
  ptycho->require_subcommand(1);
  add_reconstruct(*ptycho, action, command_line);
  add_score(*ptycho, action, command_line);
}

}  // namespace xpulse::cli
