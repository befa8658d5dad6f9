// xpulse runs list | show ID: the records of earlier jobs (runtime/run_store.h).
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/error.h"
#include "runtime/run_record_json.h"
#include "runtime/run_store.h"

extern char** environ;

namespace xpulse::cli {
namespace {

constexpr const char* kDbHelp =
    "Run database: an SQLite file or a postgresql:// URL (default: $XPULSE_DB or ~/.local/share/xpulse/runs.db)";

std::string local_time(double unix_seconds) {
  if (!(unix_seconds > 0)) return "-";
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

std::string duration(const runtime::RunRecord& r) {
  const double end = r.ended > 0 ? r.ended : runtime::unix_now();
  return fmt::format("{:.1f} s", end - r.started);
}

// Runs a program found on PATH with `args`; its exit status.
int run_program(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    throw InputError(fmt::format("{} is not on PATH (scripts/bootstrap.sh links it)", args[0]));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

void add_runs(CLI::App& app, Action& action, const std::string&) {
  auto* runs = app.add_subcommand("runs", "Records of earlier xpulse jobs ($XPULSE_DB or ~/.local/share/xpulse/runs.db)");
  runs->require_subcommand(1);
  auto db = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* list = runs->add_subcommand("list", "The latest runs, newest first");
  auto limit = std::make_shared<std::size_t>(20);
  list->add_option("--db", *db, kDbHelp);
  list->add_option("--limit", *limit, "How many runs")->capture_default_str();
  list->add_flag("--json", *json, "One JSON object per line");
  list->callback([=, &action] {
    action = [=] {
      const auto store = runtime::RunStore::open_records(*db);
      for (const runtime::RunRecord& r : store->list(*limit)) {
        if (*json) {
          std::printf("%s\n", runtime::run_json(r).dump().c_str());
          continue;
        }
        std::printf("%6lld  %-19s  %-9s %5.1f%%  %10s  %-18s %s\n", static_cast<long long>(r.id),
                    local_time(r.started).c_str(), r.status.c_str(), 100 * r.progress, duration(r).c_str(),
                    r.command.c_str(), r.metrics == "{}" ? "" : r.metrics.c_str());
      }
      return 0;
    };
  });
  auto* show = runs->add_subcommand("show", "One run: command, host, times, status, metrics, files, work units");
  auto id = std::make_shared<long long>(0);
  show->add_option("ID", *id, "Run id (from `xpulse runs list`)")->required();
  show->add_option("--db", *db, kDbHelp);
  show->add_flag("--json", *json, "As JSON");
  show->callback([=, &action] {
    action = [=] {
      const auto store = runtime::RunStore::open_records(*db);
      const auto r = store->get(*id);
      if (!r) throw InputError(fmt::format("run {} is not in the run database", *id));
      const auto units = store->work_units(*id);
      if (*json) {
        nlohmann::json j = runtime::run_json(*r);
        j["work_units"] = units.size();
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
      }
      std::printf("run %lld: %s\n  command line: %s\n  host %s, %d rank%s, pid %lld\n  started %s, %s, %s (%.1f%%)\n",
                  static_cast<long long>(r->id), r->command.c_str(), r->command_line.c_str(), r->host.c_str(),
                  r->ranks, r->ranks == 1 ? "" : "s", static_cast<long long>(r->pid), local_time(r->started).c_str(),
                  duration(*r).c_str(), r->status.c_str(), 100 * r->progress);
      if (!r->message.empty()) std::printf("  message: %s\n", r->message.c_str());
      std::printf("  metrics: %s\n  inputs: %s\n  outputs: %s\n  work units: %zu\n", r->metrics.c_str(),
                  r->inputs.c_str(), r->outputs.c_str(), units.size());
      return 0;
    };
  });
  auto* weather = runs->add_subcommand(
      "weather", "The computational weather plot of a run: each rank's work units along time, coloured by rate\n"
                 "(drawn by xpulse-plot weather)");
  auto weather_id = std::make_shared<long long>(0);
  auto out = std::make_shared<std::string>();
  weather->add_option("ID", *weather_id, "Run id (from `xpulse runs list`)")->required();
  weather->add_option("--out", *out, "PNG or PDF")->required();
  weather->add_option("--db", *db, kDbHelp);
  weather->callback([=, &action] {
    action = [=] {
      // The work units go to the plot as JSON, so that it draws runs of any database backend.
      const auto store = runtime::RunStore::open_records(*db);
      const auto run = store->get(*weather_id);
      if (!run) throw InputError(fmt::format("run {} is not in the run database", *weather_id));
      nlohmann::json j = runtime::run_json(*run);
      j["work_units"] = runtime::work_units_json(store->work_units(*weather_id));
      char units_path[] = "/tmp/xpulse-weather-XXXXXX";
      const int fd = mkstemp(units_path);
      if (fd < 0) throw Error("cannot create a temporary file for the work units");
      const std::string text = j.dump();
      const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      close(fd);
      if (!written) {
        unlink(units_path);
        throw Error("cannot write the work units to a temporary file");
      }
      const int code =
          run_program({"xpulse-plot", "weather", std::to_string(*weather_id), "--units", units_path, "--out", *out});
      unlink(units_path);
      if (code != 0) throw InputError(fmt::format("xpulse-plot weather failed (exit {})", code));
      return 0;
    };
  });
}

}  // namespace xpulse::cli
