#pragma once
// The record of xpulse jobs (runs) in a database: what ran (command, command line, inputs, outputs, host, ranks),
// when, how it ended, its progress and key metrics, and per-work-unit timings. The embedded store is SQLite in
// WAL mode, so several jobs (and readers) share one file.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xpulse::runtime {

struct RunRecord {
  std::int64_t id = 0;
  std::string command;        // "fit", "spi reconstruct", ...
  std::string command_line;
  std::string host;
  int ranks = 1;
  std::int64_t pid = 0;
  double started = 0, ended = 0;  // Unix seconds (ended 0 while running)
  std::string status;         // running | finished | failed
  std::string message;        // the error of a failed run
  double progress = 0;        // fraction done
  std::string metrics;        // JSON object
  std::string inputs, outputs;  // JSON arrays of paths
};

struct WorkUnitRecord {
  int rank = 0;
  std::string unit;
  double started = 0, ended = 0;  // Unix seconds
  std::uint64_t bytes = 0;
};

// Seconds since the Unix epoch, now.
double unix_now();

class RunStore {
 public:
  // Opens (creating the file and its folder when needed) the SQLite database at `path`. Throws Error.
  explicit RunStore(const std::string& path);
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  std::int64_t begin(const RunRecord& run);  // returns the new id; status "running"
  void update(std::int64_t id, double progress, const std::string& metrics);
  void finish(std::int64_t id, const std::string& status, const std::string& message, const std::string& metrics,
              const std::string& inputs, const std::string& outputs);
  void add_work_units(std::int64_t id, const std::vector<WorkUnitRecord>& units);

  std::vector<RunRecord> list(std::size_t limit) const;  // newest first
  std::optional<RunRecord> get(std::int64_t id) const;
  std::vector<WorkUnitRecord> work_units(std::int64_t id) const;

  // $XPULSE_DB, or ~/.local/share/xpulse/runs.db ("" when neither $XPULSE_DB nor $HOME is set).
  static std::string default_path();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xpulse::runtime
