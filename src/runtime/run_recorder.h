#pragma once
// The record of this process's job (run_store.h), kept by rank 0: started when the command line has been parsed,
// updated with progress (at most once a second) and key metrics, finished with the exit status. Recording must
// never hurt the job: any database failure disables the recorder with one warning, and the job goes on.
//
// The database is $XPULSE_DB (an SQLite path or a postgresql:// URL) or ~/.local/share/xpulse/runs.db;
// XPULSE_DB=none (or off) disables recording.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/run_store.h"

namespace xpulse::runtime {

class RunRecorder {
 public:
  static RunRecorder& get();

  void start(const std::string& command, const std::string& command_line, int ranks);
  void progress(double fraction);
  void metric(const std::string& name, double value);
  void input(const std::string& path);
  void output(const std::string& path);
  void work_units(const std::vector<WorkUnitRecord>& units);
  // One point of a named series (hit rate over frames, FSC per generation); written with the next progress
  // update or at the end.
  void series(const std::string& name, double x, double y);
  // status: 0 finished, else failed with `message`.
  void finish(int exit_code, const std::string& message);

  bool active() const { return store_ != nullptr; }
  std::int64_t id() const { return id_; }

 private:
  void disable(const std::exception& e);
  void flush_series();
  std::string metrics_json() const;

  std::unique_ptr<RunStore> store_;
  std::int64_t id_ = 0;
  std::map<std::string, double> metrics_;
  std::vector<std::string> inputs_, outputs_;
  std::vector<SeriesPoint> pending_series_;
  double progress_ = 0;
  std::chrono::steady_clock::time_point last_update_{};
  mutable std::mutex mutex_;
};

}  // namespace xpulse::runtime
