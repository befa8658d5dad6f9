#pragma once
// Progress of a long job on stderr: units done, rate, ETA. Thread-safe; silent when disabled.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace xpulse::runtime {

class Progress {
 public:
  // unit: what is counted ("tiles"); item: what the rate is of ("pixels").
  Progress(std::string label, std::size_t total_units, std::string unit, std::string item, bool enabled);
  void advance(std::size_t units, std::size_t items);
  void finish();  // ends the line
  static bool stderr_is_terminal();

 private:
  void print(bool final);
  std::string label_, unit_, item_;
  std::size_t total_;
  std::size_t done_ = 0;
  std::size_t items_ = 0;
  bool enabled_;
  bool terminal_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  std::mutex mutex_;
};

}  // namespace xpulse::runtime
