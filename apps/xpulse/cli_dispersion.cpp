// xpulse dispersion
#include <cstdio>

#include <fmt/format.h>

#include "cli.h"
#include "pipelines/dispersion.h"
#include "runtime/thread_pool.h"

namespace xpulse::cli {

void add_dispersion(CLI::App& app, Action& action, const std::string& command_line) {
  auto* cmd = app.add_subcommand(
      "dispersion",
      "Phonon dispersion from a fit: f_phonon = f_fit / harmonic of the well-fitted pixels, binned by |q - G|\n"
      "(or along a Brillouin-zone path); writes /dispersion/{q [1/A], frequency [THz], frequency_err, count}\n"
      "and per-pixel /maps/{q, hkl, q_reduced, phonon_frequency, used}.");
  cmd->footer("Geometry comes from --data (default: the input file recorded in the fit) and --geometry, which "
              "overrides it.\nHarmonic 2: squeezed phonons seen in diffuse scattering oscillate at twice the phonon "
              "frequency;\n1: coherent phonons.");
  auto r = std::make_shared<pipelines::DispersionRequest>();
  auto statuses = std::make_shared<std::string>("converged");
  r->threads = runtime::default_thread_count();
  cmd->add_option("FIT", r->fit_file, "Output of 'xpulse fit'")->required();
  cmd->add_option("--data", r->data_file,
                  "Input file with the detector geometry (and /truth, if simulated); default: the fit's input");
  cmd->add_option("--out", r->out, "Output HDF5 file (written as FILE.partial, renamed when complete)")->required();
  cmd->add_option("--harmonic", r->harmonic, "Observed frequency = harmonic x phonon frequency")->capture_default_str();
  add_q_binning_options(cmd, r->binning);
  cmd->add_option("--status", *statuses, "Fit statuses accepted, comma-separated names or codes")
      ->capture_default_str();
  cmd->add_option("--max-chi2", r->quality.max_chi2, "Largest reduced chi2 accepted, data units^2")
      ->capture_default_str();
  cmd->add_option("--min-snr", r->quality.min_snr, "Smallest amplitude / stderr(amplitude) accepted")
      ->capture_default_str();
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  cmd->callback([=, &action] {
    action = [=] {
      r->quality.accepted_status = phonon::parse_statuses(*statuses);
      r->command_line = command_line;
      const auto s = pipelines::dispersion_file(*r);
      std::printf("xpulse dispersion: %zu of %zu pixels used (%s), binned by %s in %zu bins up to %.4g 1/A\n",
                  s.used, s.pixels, r->quality.describe().c_str(), s.coordinate.c_str(), s.bins, s.q_hi);
      std::printf("  %zu populated bins, phonon frequency %.3f .. %.3f THz (harmonic %d)%s\n", s.populated_bins,
                  s.frequency_min, s.frequency_max, r->harmonic, s.truth ? "; truth binned alongside" : "");
      std::printf("  geometry: %s\n", s.geometry_source.c_str());
      std::printf("  wrote %s:/dispersion/{q, frequency, frequency_err, count}, /maps/* in %.2f s\n", s.out.c_str(),
                  s.seconds);
      return 0;
    };
  });
}

}  // namespace xpulse::cli
