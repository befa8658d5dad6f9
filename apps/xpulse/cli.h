#pragma once
// Subcommand registration for the xpulse command line. Each subcommand parses flags, calls one pipeline and
// prints its summary; all computing happens in the library.
#include <string>

#include <CLI/CLI.hpp>

namespace xpulse::pipelines {
struct QBinningRequest;
}
namespace xpulse::io {
struct FollowOptions;
}
namespace xpulse::pipelines {
struct RunSelection;
}

namespace xpulse::cli {

// Returns the work to run once parsing succeeded.
using Action = std::function<int()>;

void add_simulate(CLI::App& app, Action& action, const std::string& command_line);
void add_fit(CLI::App& app, Action& action, const std::string& command_line);
void add_reduce(CLI::App& app, Action& action, const std::string& command_line);
void add_correct(CLI::App& app, Action& action, const std::string& command_line);
void add_geometry(CLI::App& app, Action& action, const std::string& command_line);
void add_dispersion(CLI::App& app, Action& action, const std::string& command_line);
void add_spectra(CLI::App& app, Action& action, const std::string& command_line);
void add_spi(CLI::App& app, Action& action, const std::string& command_line);
void add_ptycho(CLI::App& app, Action& action, const std::string& command_line);
void add_sfx(CLI::App& app, Action& action, const std::string& command_line);
void add_sfx_merge(CLI::App* sfx, Action& action, const std::string& command_line);
void add_runs(CLI::App& app, Action& action, const std::string& command_line);
void add_serve(CLI::App& app, Action& action, const std::string& command_line);
void add_q_binning_options(CLI::App* command, pipelines::QBinningRequest& request);
void add_follow_options(CLI::App* command, bool& follow, io::FollowOptions& options);
void add_run_options(CLI::App* command, pipelines::RunSelection& selection);
void add_events(CLI::App& app, Action& action, const std::string& command_line);

int run(int argc, char** argv);

}  // namespace xpulse::cli
