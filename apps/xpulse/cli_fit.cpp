// xpulse fit
#include <cstdio>

#include <fmt/format.h>

#include "cli.h"
#include "core/shape.h"
#include "fit/fit_status.h"
#include "pipelines/pumpprobe_fit.h"
#include "runtime/devices.h"
#include "runtime/progress.h"
#include "runtime/run_recorder.h"
#include "runtime/thread_pool.h"
#include "runtime/world.h"

namespace xpulse::cli {

void add_fit(CLI::App& app, Action& action, const std::string& command_line) {
  auto* fit = app.add_subcommand(
      "fit",
      "Fit every pixel's trace with a damped cosine (batched Levenberg-Marquardt seeded by linear prediction)\n"
      "and write /fit/{frequency [THz], amplitude, damping [1/ps], phase [rad], offset, chi2, status,\n"
      "iterations} and /fit/stderr/*, all [y, x].");
  fit->footer(fmt::format("Status codes (/fit/status): {}.\nModel time t = delay - t0; delays before t0 are "
                          "not fitted. Amplitude and offset are in the data's units.",
                          fit::fit_status_legend()));
  auto r = std::make_shared<pipelines::FitRequest>();
  auto tile = std::make_shared<std::string>("16x16");
  auto model = std::make_shared<std::string>("damped-cosine");
  auto progress = std::make_shared<bool>(false);
  auto device = std::make_shared<std::string>("cpu");
  auto gpus = std::make_shared<std::string>();
  r->threads = runtime::default_thread_count();
  fit->add_option("INPUT", r->input, "Input HDF5 file with data [delay, y, x], delays [ps], optional mask")
      ->required();
  fit->add_option("--out", r->out, "Output HDF5 file (written as FILE.partial, renamed when complete)")
      ->required();
  fit->add_option("--t0", r->options.t0_ps, "Time zero in ps: earlier delays are excluded")->capture_default_str();
  fit->add_option("--model", *model, "damped-cosine (5 parameters) | damped-cosine-exp (+ B exp(-t/tau))")
      ->capture_default_str();
  fit->add_option("--tile", *tile, "Tile of pixels fitted together, YxX")->capture_default_str();
  fit->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  fit->add_option("--device", *device,
                  "cpu | cuda | auto (CUDA when a GPU is present, else the CPU; the summary says which ran)")
      ->capture_default_str();
  fit->add_option("--gpus", *gpus, "CUDA devices to use, e.g. 0,1 (blocks of pixels round-robin; default 0)");
  fit->add_option("--max-iterations", r->options.lm.max_iterations, "LM trial steps per pixel")
      ->capture_default_str();
  fit->add_option("--tolerance", r->options.lm.tolerance,
                  "Converged when |d chi2| < tolerance * max(1, chi2) (chi2 of the trace scaled to unit rms)")
      ->capture_default_str();
  fit->add_option("--amp-threshold", r->options.amp_threshold,
                  "NO_SIGNAL when the amplitude is below this, in data units")
      ->capture_default_str();
  fit->add_option("--min-snr", r->options.min_snr, "NO_SIGNAL when amplitude / stderr(amplitude) is below this")
      ->capture_default_str();
  fit->add_option("--weights", r->weights,
                  "Per-point weights: none (chi2 in data units^2, errors scaled by it) | poisson (1/sigma^2 = 1/(g "
                  "max(I, g)), g = --adu-per-photon: chi2 ~1 for a right model, errors from the weights) | the path "
                  "of a dataset of weights 1/sigma^2 [delay, y, x]")
      ->capture_default_str();
  auto gain = std::make_shared<double>(0.0);
  auto* gain_option = fit->add_option("--adu-per-photon", *gain,
                                      "Detector gain for poisson weights, data units per photon (default: the file's "
                                      "adu_per_photon, or 1 when the data are in photons)");
  fit->add_option("--data", r->data_path, "Dataset of the stack [delay, y, x]")->capture_default_str();
  fit->add_option("--delays", r->delays_path, "Dataset of the delays, ps")->capture_default_str();
  auto* mask = fit->add_option("--mask", r->mask_path, "Dataset of the pixel mask [y, x], nonzero = bad (used if present)")
                   ->capture_default_str();
  fit->add_option("--correct", r->correct,
                  "Input stage: jungfrau:PEDESTAL,GAIN[,PHOTON_KEV] corrects raw JUNGFRAU words (as xpulse correct "
                  "jungfrau) before fitting");
  fit->add_flag("--allow-missing", r->allow_missing,
                "Virtual datasets: read frames of missing source files as fill values instead of failing");
  fit->add_flag("--resume", r->resume,
                "Continue an interrupted run of the same command from its journal (OUT.journal): only missing work "
                "units are computed");
  fit->add_flag("--merge", r->merge,
                "Under MPI: write one standalone output instead of virtual datasets over the ranks' part files "
                "(OUT.parts/)");
  fit->add_option("--unit-rows", r->unit_rows,
                  "Detector rows per work unit, the granularity of the journal and of MPI distribution "
                  "(default: ~32 MiB of stack per unit)");
  fit->add_flag("--progress", *progress, "Print progress (pixels, pixels/s, ETA) even when stderr is not a terminal");
  fit->callback([=, &action] {
    r->mask_required = mask->count() > 0;
    if (gain_option->count() > 0) r->adu_per_photon = *gain;
    action = [=] {
      const auto t = parse_shape(*tile, 2, "--tile");
      r->tile_height = t[0];
      r->tile_width = t[1];
      r->options.model = fit::parse_model(*model);
      r->device = runtime::parse_device(*device);
      if (!gpus->empty()) r->gpus = runtime::parse_gpu_list(*gpus);
      r->progress = *progress || runtime::Progress::stderr_is_terminal();
      r->command_line = command_line;
      const auto s = pipelines::fit_pump_probe_file(*r);
      if (!runtime::World::get().is_root()) return 0;
      const auto pct = [&](fit::FitStatus st, std::size_t of) {
        const std::size_t c = s.status_counts[static_cast<int>(st)];
        return of ? 100.0 * static_cast<double>(c) / static_cast<double>(of) : 0.0;
      };
      runtime::RunRecorder& record = runtime::RunRecorder::get();
      record.input(r->input), record.output(r->out);
      record.metric("pixels", static_cast<double>(s.pixels));
      record.metric("converged_percent", pct(fit::FitStatus::converged, s.fitted));
      record.metric("fits_per_second", s.fits_per_second);
      std::printf("xpulse fit: %zu pixels, %zu fitted in %.2f s (%.0f fits/s on %s, model %s)\n", s.pixels,
                  s.fitted, s.fit_seconds, s.fits_per_second, s.backend.c_str(),
                  std::string(fit::to_string(r->options.model)).c_str());
      std::printf("  of fitted: %.2f%% converged, %.2f%% max_iterations, %.2f%% singular_hessian\n",
                  pct(fit::FitStatus::converged, s.fitted), pct(fit::FitStatus::max_iterations, s.fitted),
                  pct(fit::FitStatus::singular_hessian, s.fitted));
      std::printf("  of all pixels: %.2f%% masked, %.2f%% no_signal, %.2f%% non_finite_input\n",
                  pct(fit::FitStatus::masked, s.pixels), pct(fit::FitStatus::no_signal, s.pixels),
                  pct(fit::FitStatus::non_finite_input, s.pixels));
      std::printf("  read: %s, %zu work unit%s of %zu rows on %s\n", s.data_layout.c_str(), s.units,
                  s.units == 1 ? "" : "s", s.unit_rows, s.distribution.c_str());
      if (s.resumed_units > 0) {
        std::printf("  resumed: %zu of %zu work units taken from the journal of an earlier run\n", s.resumed_units,
                    s.units);
      }
      if (s.weights == fit::WeightKind::none) {
        std::printf("  median reduced chi2 (converged): %.4g (%s)^2\n", s.median_chi2_reduced, s.data_units.c_str());
      } else {
        const std::string how = s.weights == fit::WeightKind::poisson
                                    ? fmt::format("poisson weights, {:g} {} per photon", s.adu_per_photon, s.data_units)
                                    : fmt::format("weights from '{}'", r->weights);
        std::printf("  median reduced chi2 (converged): %.4g (dimensionless; %s)\n", s.median_chi2_reduced,
                    how.c_str());
      }
      std::printf("  maps: %s:/fit/{frequency [THz], amplitude, damping [1/ps], phase [rad], offset, chi2, status, "
                  "iterations}, /fit/stderr/*\n",
                  s.out.c_str());
      return 0;
    };
  });
}

}  // namespace xpulse::cli
