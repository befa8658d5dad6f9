#include "runtime/run_recorder.h"

#include <unistd.h>

#include <cmath>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace xpulse::runtime {
namespace {

std::string host_name() {
  char name[256] = {};
  return ::gethostname(name, sizeof(name) - 1) == 0 ? std::string(name) : std::string("unknown");
}

}  // namespace

RunRecorder& RunRecorder::get() {
  static RunRecorder recorder;
  return recorder;
}

void RunRecorder::disable(const std::exception& e) {
  store_.reset();
  spdlog::warn("the run is not recorded from here on ({}); the job goes on", e.what());
}

std::string RunRecorder::metrics_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, value] : metrics_) j[name] = std::isfinite(value) ? nlohmann::json(value) : nlohmann::json();
  return j.dump();
}

void RunRecorder::start(const std::string& command, const std::string& command_line, int ranks) {
  std::lock_guard lock(mutex_);
  const std::string location = RunStore::default_location();
  if (RunStore::is_off(location)) return;
  try {
    store_ = RunStore::open(location);
    RunRecord r;
    r.command = command, r.command_line = command_line, r.host = host_name(), r.ranks = ranks;
    r.pid = static_cast<std::int64_t>(::getpid()), r.started = unix_now();
    id_ = store_->begin(r);
    last_update_ = std::chrono::steady_clock::now();
  } catch (const std::exception& e) {
    disable(e);
  }
}

void RunRecorder::progress(double fraction) {
  std::lock_guard lock(mutex_);
  progress_ = fraction;
  if (!store_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_update_ < std::chrono::seconds(1)) return;
  last_update_ = now;
  try {
    store_->update(id_, progress_, metrics_json());
    flush_series();
  } catch (const std::exception& e) {
    disable(e);
  }
}

void RunRecorder::metric(const std::string& name, double value) {
  std::lock_guard lock(mutex_);
  metrics_[name] = value;
}

void RunRecorder::input(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (!path.empty()) inputs_.push_back(path);
}

void RunRecorder::output(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (!path.empty()) outputs_.push_back(path);
}

void RunRecorder::flush_series() {
  if (pending_series_.empty()) return;
  store_->add_series(id_, pending_series_);
  pending_series_.clear();
}

void RunRecorder::series(const std::string& name, double x, double y) {
  std::lock_guard lock(mutex_);
  if (store_) pending_series_.push_back({name, x, y});
}

void RunRecorder::work_units(const std::vector<WorkUnitRecord>& units) {
  std::lock_guard lock(mutex_);
  if (!store_ || units.empty()) return;
  try {
    store_->add_work_units(id_, units);
  } catch (const std::exception& e) {
    disable(e);
  }
}

void RunRecorder::finish(int exit_code, const std::string& message) {
  std::lock_guard lock(mutex_);
  if (!store_) return;
  try {
    flush_series();
    store_->finish(id_, exit_code == 0 ? "finished" : "failed", message, metrics_json(),
                   nlohmann::json(inputs_).dump(), nlohmann::json(outputs_).dump());
  } catch (const std::exception& e) {
    disable(e);
  }
  store_.reset();
}

}  // namespace xpulse::runtime
