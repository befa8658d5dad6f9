#pragma once
// The record of xpulse jobs (runs) in a database: what ran (command, command line, inputs, outputs, host, ranks),
// when, how it ended, its progress and key metrics, per-work-unit timings and named series (hit rate over frames,
// FSC per generation, ...). Two backends behind one interface: SQLite in WAL mode (the embedded default; several
// jobs and readers share one file) and PostgreSQL through libpq (shared use: postgresql://... locations).
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

// One point of a named series of a run (x: frame, generation, ...).
struct SeriesPoint {
  std::string name;
  double x = 0, y = 0;
};

// Seconds since the Unix epoch, now.
double unix_now();

class RunStore {
 public:
  virtual ~RunStore() = default;

  // The store at `location`: a postgresql:// (or postgres://) URL, or the path of an SQLite file (created with
  // its folder when needed). Throws Error when it cannot be opened.
  static std::unique_ptr<RunStore> open(const std::string& location);
  // The store of the records for reading them (`xpulse runs`, `serve`): `location`, or the default when empty.
  // InvalidArgument when recording is off; InputError when it cannot be opened.
  static std::unique_ptr<RunStore> open_records(const std::string& location);
  // $XPULSE_DB, or ~/.local/share/xpulse/runs.db ("" when neither $XPULSE_DB nor $HOME is set).
  static std::string default_location();
  // XPULSE_DB=none or off: nothing is recorded.
  static bool is_off(const std::string& location) { return location == "none" || location == "off"; }
  static bool is_postgres_url(const std::string& location);

  virtual std::int64_t begin(const RunRecord& run) = 0;  // returns the new id; status "running"
  virtual void update(std::int64_t id, double progress, const std::string& metrics) = 0;
  virtual void finish(std::int64_t id, const std::string& status, const std::string& message,
                      const std::string& metrics, const std::string& inputs, const std::string& outputs) = 0;
  virtual void add_work_units(std::int64_t id, const std::vector<WorkUnitRecord>& units) = 0;
  virtual void add_series(std::int64_t id, const std::vector<SeriesPoint>& points) = 0;

  virtual std::vector<RunRecord> list(std::size_t limit) const = 0;  // newest first
  virtual std::optional<RunRecord> get(std::int64_t id) const = 0;
  virtual std::vector<WorkUnitRecord> work_units(std::int64_t id) const = 0;
  virtual std::vector<SeriesPoint> series(std::int64_t id) const = 0;  // in the order they were added
};

}  // namespace xpulse::runtime
