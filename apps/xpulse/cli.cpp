#include "cli.h"

#include <cstdio>
#include <new>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "runtime/run_recorder.h"
#include "runtime/world.h"
#include "xpulse/version.h"

namespace xpulse::cli {
namespace {

std::string quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos) return arg;
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Library messages go to stderr as "xpulse: LEVEL: message"; --verbose adds debug messages (e.g. which
// datasets fall back to H5Dread and why).
// Under MPI only rank 0 reports information; other ranks' warnings name the rank.
void set_up_logging(bool verbose) {
  auto logger = spdlog::stderr_logger_mt("xpulse");
  const runtime::World& world = runtime::World::get();
  logger->set_pattern(world.is_root() ? "xpulse: %l: %v" : fmt::format("xpulse: rank {}: %l: %v", world.rank()));
  logger->set_level(verbose ? spdlog::level::debug
                            : (world.is_root() ? spdlog::level::info : spdlog::level::warn));
  spdlog::set_default_logger(logger);
}

// "spi reconstruct": the chosen subcommands.
std::string command_of(const CLI::App& app) {
  std::string name;
  for (const CLI::App* a = &app; !a->get_subcommands().empty();) {
    a = a->get_subcommands().front();
    name += (name.empty() ? "" : " ") + a->get_name();
  }
  return name;
}

}  // namespace

int run(int argc, char** argv) {
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + quote(argv[i]);

  CLI::App app{"xpulse: fast analysis of XFEL and synchrotron imaging data", "xpulse"};
  app.set_version_flag("--version", fmt::format("xpulse {}", kVersion));
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Print debug messages (how each dataset is read, ...)");
  app.footer("Run 'xpulse SUBCOMMAND --help' for the options of each subcommand.");
  Action action;
  add_simulate(app, action, command_line);
  add_fit(app, action, command_line);
  add_reduce(app, action, command_line);
  add_correct(app, action, command_line);
  add_events(app, action, command_line);
  add_geometry(app, action, command_line);
  add_spectra(app, action, command_line);
  add_dispersion(app, action, command_line);
  add_spi(app, action, command_line);
  add_ptycho(app, action, command_line);
  add_sfx(app, action, command_line);
  add_runs(app, action, command_line);
  add_serve(app, action, command_line);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    if (message.empty()) message = "missing subcommand";
    // Every rank parses the same command line, so every rank fails here alike; one of them says so.
    if (runtime::World::get().is_root()) {
      std::fprintf(stderr, "xpulse: error: %s (see 'xpulse --help')\n", message.c_str());
    }
    return 2;
  }
  set_up_logging(verbose);
  if (!action) return 0;
  // Every job is recorded (runtime/run_recorder.h) by rank 0; `xpulse runs` and `serve` only read the records.
  const runtime::World& world = runtime::World::get();
  const std::string command = command_of(app);
  runtime::RunRecorder& recorder = runtime::RunRecorder::get();
  const bool record = world.is_root() && command.rfind("runs", 0) != 0 && command != "serve";
  if (record) recorder.start(command, command_line, world.size());
  try {
    const int code = action();
    if (record) recorder.finish(code, "");
    return code;
  } catch (const InputError& e) {
    if (record) recorder.finish(2, e.what());
    throw;
  } catch (const std::bad_alloc&) {
    if (record) recorder.finish(2, "out of memory");
    throw;
  } catch (const std::exception& e) {
    if (record) recorder.finish(1, std::string("internal: ") + e.what());
    throw;
  }
}

}  // namespace xpulse::cli
