// xpulse spectra
#include <cstdio>

#include <fmt/format.h>

#include "cli.h"
#include "pipelines/spectra.h"
#include "runtime/progress.h"
#include "runtime/thread_pool.h"

namespace xpulse::cli {

void add_spectra(CLI::App& app, Action& action, const std::string& command_line) {
  auto* cmd = app.add_subcommand(
      "spectra",
      "Model-free FT-IXS view: the amplitude spectrum of every pixel's mean-removed trace after t0 (DFT, or a\n"
      "non-uniform DFT on non-uniform delays), averaged in momentum bins into /spectra/intensity [q, frequency].");
  auto r = std::make_shared<pipelines::SpectraRequest>();
  auto window = std::make_shared<std::string>("hann");
  auto progress = std::make_shared<bool>(false);
  r->threads = runtime::default_thread_count();
  cmd->add_option("INPUT", r->input.file, "Input HDF5 file with data [delay, y, x], delays [ps], mask, geometry")
      ->required();
  cmd->add_option("--out", r->out, "Output HDF5 file (written as FILE.partial, renamed when complete)")->required();
  cmd->add_option("--t0", r->spectrum.t0_ps, "Time zero in ps: earlier delays are excluded")->capture_default_str();
  cmd->add_option("--max-frequency", r->spectrum.max_frequency_thz,
                  "Highest frequency in THz (default: Nyquist of the median delay step)");
  cmd->add_option("--oversample", r->spectrum.oversample, "Frequency step = resolution / oversample")
      ->capture_default_str();
  cmd->add_option("--window", *window, "Window over the trace: hann | none")->capture_default_str();
  add_q_binning_options(cmd, r->binning);
  cmd->add_option("--data", r->input.data, "Dataset of the stack [delay, y, x]")->capture_default_str();
  cmd->add_option("--delays", r->input.delays, "Dataset of the delays, ps")->capture_default_str();
  auto* mask = cmd->add_option("--mask", r->input.mask, "Dataset of the pixel mask [y, x], nonzero = bad")
                   ->capture_default_str();
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  cmd->add_flag("--allow-missing", r->allow_missing,
                "Virtual datasets: read frames of missing source files as fill values instead of failing");
  cmd->add_flag("--progress", *progress, "Print progress even when stderr is not a terminal");
  cmd->callback([=, &action] {
    r->input.mask_required = mask->count() > 0;
    action = [=] {
      r->spectrum.window = phonon::parse_window(*window);
      r->progress = *progress || runtime::Progress::stderr_is_terminal();
      r->command_line = command_line;
      const auto s = pipelines::spectra_file(*r);
      std::printf("xpulse spectra: %zu pixels, %zu used, %zu delays after t0 (%s), %.2f s (%.0f pixels/s, %u threads)\n",
                  s.pixels, s.used, s.delays, s.uniform ? "uniform: DFT" : "non-uniform: NUDFT", s.compute_seconds,
                  s.compute_seconds > 0 ? static_cast<double>(s.pixels) / s.compute_seconds : 0.0, r->threads);
      std::printf("  %zu frequencies 0 .. %.3f THz, step %.4g THz, resolution %.4g THz\n", s.frequencies,
                  s.max_frequency_thz, s.step_thz, s.resolution_thz);
      std::printf("  %zu of %zu %s bins populated%s\n", s.populated_bins, s.bins, s.coordinate.c_str(),
                  s.truth ? "; truth binned alongside" : "");
      std::printf("  read: %s\n", s.data_layout.c_str());
      std::printf("  wrote %s:/spectra/{frequency [THz], q [1/A], intensity [q, frequency], count, peak_frequency}, "
                  "/maps/* in %.2f s\n",
                  s.out.c_str(), s.total_seconds);
      return 0;
    };
  });
}

}  // namespace xpulse::cli
