// xpulse serve: the run dashboard (pipelines/run_dashboard.h) until SIGINT or SIGTERM.
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli.h"
#include "core/error.h"
#include "pipelines/run_dashboard.h"

namespace xpulse::cli {

void add_serve(CLI::App& app, Action& action, const std::string&) {
  auto* cmd = app.add_subcommand("serve", "A read-only web dashboard and JSON API of the run records");
  auto r = std::make_shared<pipelines::DashboardRequest>();
  cmd->add_option("--db", r->database, "Run database: an SQLite file or a postgresql:// URL\n(default: $XPULSE_DB or ~/.local/share/xpulse/runs.db)");
  cmd->add_option("--port", r->port, "TCP port (0: any free one)")->capture_default_str();
  cmd->add_option("--bind", r->bind, "Address to listen on (default: this machine only)")->capture_default_str();
  cmd->callback([=, &action] {
    action = [=] {
      // SIGINT and SIGTERM, on whichever thread they land (libraries start threads of their own), write a byte
      // to a pipe; a watcher thread reads it and stops the server.
      static int stop_pipe[2] = {-1, -1};
      if (pipe(stop_pipe) != 0) throw Error("cannot create the stop pipe of xpulse serve");
      struct sigaction on_stop {};
      on_stop.sa_handler = [](int) {
        const char byte = 1;
        [[maybe_unused]] const auto n = write(stop_pipe[1], &byte, 1);
      };
      sigemptyset(&on_stop.sa_mask);
      sigaction(SIGINT, &on_stop, nullptr);
      sigaction(SIGTERM, &on_stop, nullptr);
      std::thread watcher([] {
        char byte = 0;
        while (read(stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
        }
        pipelines::stop_dashboard();
      });
      watcher.detach();
      pipelines::serve_dashboard(*r, [&](int port) {
        std::printf("xpulse serve: http://%s:%d/ (runs of %s; Ctrl-C stops)\n", r->bind.c_str(), port,
                    r->database.empty() ? "$XPULSE_DB or ~/.local/share/xpulse/runs.db" : r->database.c_str());
        std::fflush(stdout);
      });
      return 0;
    };
  });
}

}  // namespace xpulse::cli
