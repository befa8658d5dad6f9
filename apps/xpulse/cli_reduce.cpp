// xpulse reduce
#include <cstdio>
#include <limits>

#include <fmt/format.h>

#include "cli.h"
#include "runtime/world.h"
#include "core/error.h"
#include "pipelines/reduce.h"
#include "runtime/progress.h"
#include "runtime/thread_pool.h"

namespace xpulse::cli {
namespace {

// "a:b", "a:" or ":b" frame ranges; end 0 means "to the end".
void parse_frames(const std::string& text, std::size_t& first, std::size_t& end) {
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) throw InvalidArgument(fmt::format("--frames '{}' must be A:B", text));
  auto number = [&](const std::string& part, std::size_t fallback) -> std::size_t {
    if (part.empty()) return fallback;
    std::size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(part, &used);
    } catch (...) {
      used = 0;
    }
    if (used != part.size() || v < 0) throw InvalidArgument(fmt::format("--frames '{}' must be A:B with A, B >= 0", text));
    return static_cast<std::size_t>(v);
  };
  first = number(text.substr(0, colon), 0);
  end = number(text.substr(colon + 1), 0);
  if (end != 0 && end <= first) throw InvalidArgument(fmt::format("--frames '{}' is empty", text));
}

}  // namespace

void add_reduce(CLI::App& app, Action& action, const std::string& command_line) {
  auto* cmd = app.add_subcommand(
      "reduce",
      "Per-pixel reductions over frames (float64) and the per-frame total intensity:\n"
      "/reduce/{sum, mean, max, min, std} [frame shape], /reduce/frame_sum [frames].");
  auto r = std::make_shared<pipelines::ReduceRequest>();
  auto ops = std::make_shared<std::string>("sum,mean,max,min,std");
  auto frames = std::make_shared<std::string>(":");
  auto progress = std::make_shared<bool>(false);
  r->threads = runtime::default_thread_count();
  cmd->add_option("INPUT", r->input,
                  "Input HDF5 file with frames [frame, ...], or a European XFEL run directory (with --detector)")
      ->required();
  cmd->add_option("--out", r->out, "Output HDF5 file (replaced atomically at every update)")->required();
  cmd->add_option("--data", r->data_path, "Dataset of the frames")->capture_default_str();
  cmd->add_option("--op", *ops, "Reductions, comma separated: sum,mean,max,min,std")->capture_default_str();
  cmd->add_option("--frames", *frames, "Frame range A:B (B excluded; empty = to the end)")->capture_default_str();
  add_follow_options(cmd, r->follow, r->follow_options);
  add_run_options(cmd, r->run);
  cmd->add_option("--update", r->update_seconds, "With --follow: rewrite the output at most every this many seconds")
      ->capture_default_str();
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  cmd->add_option("--correct", r->correct,
                  "Input stage: jungfrau:PEDESTAL,GAIN[,PHOTON_KEV] corrects raw JUNGFRAU words (as xpulse correct "
                  "jungfrau) before reducing");
  cmd->add_flag("--allow-missing", r->allow_missing,
                "Virtual datasets: read frames of missing source files as fill values instead of failing");
  cmd->add_flag("--resume", r->resume,
                "Continue an interrupted run of the same command from its checkpoints (OUT.journal)");
  cmd->add_option("--checkpoint", r->checkpoint_seconds,
                  "Seconds between checkpoints of the reduction state (for --resume)")
      ->capture_default_str();
  cmd->add_flag("--merge", r->merge,
                "Under MPI: write one standalone output instead of virtual datasets over the ranks' part files "
                "(OUT.parts/)");
  cmd->add_flag("--progress", *progress, "Print progress even when stderr is not a terminal");
  cmd->callback([=, &action] {
    action = [=] {
      r->ops = reduce::parse_ops(*ops);
      parse_frames(*frames, r->first_frame, r->end_frame);
      r->progress = *progress || runtime::Progress::stderr_is_terminal();
      r->command_line = command_line;
      const auto s = pipelines::reduce_frames_file(*r);
      if (!runtime::World::get().is_root()) return 0;
      std::printf("xpulse reduce: %zu frames x %zu pixels in %.2f s (%.1f MB/s stored data, %u thread%s, %s)\n",
                  s.frames, s.pixels, s.seconds, s.bytes_per_second / 1e6, r->threads, r->threads == 1 ? "" : "s",
                  s.distribution.c_str());
      if (s.resumed_frames > 0) std::printf("  resumed: %zu frames taken from a checkpoint\n", s.resumed_frames);
      std::printf("  read: %s%s\n", s.data_layout.c_str(), r->follow ? (s.swmr ? ", followed (SWMR)" : ", followed (re-open)") : "");
      const std::string updates = r->follow ? fmt::format(" ({} updates)", s.updates) : "";
      std::printf("  output: %s:/reduce/{%s, frame_sum}%s\n", s.out.c_str(),
                  fmt::format("{}", fmt::join(r->ops.names(), ", ")).c_str(), updates.c_str());
      return 0;
    };
  });
}

}  // namespace xpulse::cli
