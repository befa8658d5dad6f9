// xpulse sfx merge
#include <cmath>
#include <cstdio>
#include <memory>

#include "cli.h"
#include "pipelines/sfx_merge.h"
#include "runtime/run_recorder.h"
#include "runtime/thread_pool.h"
#include "runtime/world.h"

namespace xpulse::cli {
namespace {

void print_statistics(const pipelines::SfxMergeSummary& s) {
  std::printf("  %7s %7s %7s %8s %8s %7s %7s %7s %7s %7s\n", "d_max A", "d_min A", "unique", "compl %", "mult",
              "<I/sig>", "CC1/2", "CC1/2st", "CC*", "Rsplit");
  const auto row = [](const sfx::ShellStatistics& x, const char* label) {
    std::printf("  %7.2f %7.2f %7zu %8.1f %8.1f %7.1f %7.3f %7.3f %7.3f %7.3f%s\n", x.d_max, x.d_min, x.unique,
                100 * x.completeness, x.multiplicity, x.mean_i_over_sigma, x.cc_half, x.cc_half_sigma_tau, x.cc_star,
                x.r_split, label);
  };
  for (const sfx::ShellStatistics& x : s.statistics.shells) row(x, "");
  row(s.statistics.overall, "  overall");
}

}  // namespace

void add_sfx_merge(CLI::App* sfx, Action& action, const std::string& command_line) {
  auto* cmd = sfx->add_subcommand(
      "merge",
      "Scale and merge the reflection tables of `xpulse sfx process` into one dataset in a point group's\n"
      "asymmetric unit: per-crystal scales, partiality correction, an ev11 error model, statistics by\n"
      "resolution shell (completeness, multiplicity, <I/sigma>, CC1/2, CC*, Rsplit); MTZ, CrystFEL .hkl or HDF5.");
  auto r = std::make_shared<pipelines::SfxMergeRequest>();
  r->threads = runtime::default_thread_count();
  cmd->add_option("INPUT", r->inputs, "Reflection tables (HDF5) of xpulse sfx process")->required();
  cmd->add_option("--point-group", r->point_group,
                  "Point group (mmm, 2/m, 422, 321, 6/mmm, m-3m, ...) or space group (P212121, C2) of the merge")
      ->required();
  cmd->add_option("--out", r->out, "Output: .mtz, .hkl (CrystFEL, with .hkl1/.hkl2 halves) or .h5")->required();
  cmd->add_flag("--anomalous", r->anomalous, "Keep Friedel mates apart");
  cmd->add_option("--reference", r->reference,
                  "MTZ (IMEAN, or amplitudes squared) to scale and post-refine against instead of the merge itself");
  cmd->add_option("--model", r->model, "Partiality: unity | xsphere | offset")->capture_default_str();
  cmd->add_option("--scale", r->scale, "Per-crystal scale: linear | linear-b | none")->capture_default_str();
  cmd->add_option("--error-model", r->error_model, "ev11 | none")->capture_default_str();
  cmd->add_option("--iterations", r->iterations, "Cycles of scaling and error-model fitting")->capture_default_str();
  cmd->add_option("--min-partiality", r->min_partiality,
                  "Observations predicted less partial than this are not merged (the model's tails are least sure)")
      ->capture_default_str();
  cmd->add_option("--min-res", r->min_res, "Lowest resolution merged, Angstrom (largest d; 0: all)")
      ->capture_default_str();
  cmd->add_option("--max-res", r->max_res, "Highest resolution merged, Angstrom (smallest d; 0: all)")
      ->capture_default_str();
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  cmd->add_option("--shells", r->shells, "Resolution shells of the statistics (equal volumes)")->capture_default_str();
  cmd->add_option("--min-measurements", r->min_measurements, "Fewest observations of a merged reflection")
      ->capture_default_str();
  cmd->callback([=, &action] {
    action = [=] {
      r->command_line = command_line;
      const auto s = pipelines::sfx_merge_files(*r);
      if (!runtime::World::get().is_root()) return 0;
      runtime::RunRecorder& record = runtime::RunRecorder::get();
      for (const std::string& in : r->inputs) record.input(in);
      record.output(r->out);
      record.metric("reflections", static_cast<double>(s.reflections));
      record.metric("cc_half", s.statistics.overall.cc_half);
      std::printf("xpulse sfx merge: %zu observations of %zu crystals (%zu rejected) from %zu file%s -> %zu unique "
                  "reflections in %s (%s), %.2f s (%s)\n",
                  s.observations, s.crystals, s.rejected_crystals, s.files, s.files == 1 ? "" : "s", s.reflections,
                  s.point_group.c_str(), s.space_group.c_str(), s.seconds, s.distribution.c_str());
      std::printf("  error model: SdFac %.3f, SdB %.3f, SdAdd %.3f\n", s.error_model.sd_fac, s.error_model.sd_b,
                  s.error_model.sd_add);
      print_statistics(s);
      std::printf("  wrote %s (statistics in %s)\n", r->out.c_str(), s.statistics_file.c_str());
      return 0;
    };
  });
}

}  // namespace xpulse::cli
