// xpulse events export
#include <cstdio>

#include "cli.h"
#include "pipelines/events_export.h"
#include "runtime/run_recorder.h"
#include "runtime/thread_pool.h"

namespace xpulse::cli {

void add_events(CLI::App& app, Action& action, const std::string& command_line) {
  auto* events = app.add_subcommand("events", "Frames of facility runs");
  events->require_subcommand(1);
  auto* cmd = events->add_subcommand(
      "export",
      "A European XFEL run directory's detector frames as one CXI file: /entry_1/data_1/data [frames, modules, ss,\n"
      "fs] (RAW AGIPD: the data plane, the gain plane in /entry_1/data_1/gain), /entry_1/data_1/{trainId,\n"
      "pulseId, cellId} [frames] and /entry_1/data_1/missing [frames, modules] (1: the module has no image, its\n"
      "pixels 0); frames in train order, then pulse order, from valid trains only.");
  auto r = std::make_shared<pipelines::EventsExportRequest>();
  r->threads = runtime::default_thread_count();
  cmd->add_option("RUN_DIR", r->run_directory, "Run directory of RAW-R*-*-S*.h5 or CORR-R*-*-S*.h5 files")->required();
  cmd->add_option("--out", r->out, "Output CXI file (written as FILE.partial, renamed when complete)")->required();
  add_run_options(cmd, r->selection);
  cmd->get_option("--detector")->required();
  cmd->add_option("--threads", r->threads, "Reader threads (default: all cores)")->capture_default_str();
  cmd->callback([=, &action] {
    action = [=] {
      r->command_line = command_line;
      const auto s = pipelines::events_export(*r);
      runtime::RunRecorder& record = runtime::RunRecorder::get();
      record.input(r->run_directory), record.output(r->out);
      record.metric("frames", static_cast<double>(s.frames));
      std::printf("xpulse events export: %zu frames of %d modules x %zux%zu (%zu module images missing, read as 0) "
                  "in %.2f s (%.2f GB/s)\n",
                  s.frames, s.modules, s.ss, s.fs, s.missing_images, s.seconds, s.bytes_per_second / 1e9);
      std::printf("  run map %s (%s)\n", s.map_path.c_str(), s.map_reused ? "reused" : "built");
      std::printf("  wrote %s:/entry_1/data_1/{data%s, trainId, pulseId, cellId, missing}\n", r->out.c_str(),
                  s.gain_plane ? ", gain" : "");
      return 0;
    };
  });
}

}  // namespace xpulse::cli
