#include "runtime/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "runtime/run_recorder.h"

namespace xpulse::runtime {

bool Progress::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, std::size_t total_units, std::string unit, std::string item, bool enabled)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      item_(std::move(item)),
      total_(total_units),
      enabled_(enabled),
      terminal_(stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::advance(std::size_t units, std::size_t items) {
  std::lock_guard lock(mutex_);
  done_ += units;
  items_ += items;
  // The run's record follows the job whether or not the terminal does (it throttles itself).
  RunRecorder::get().progress(total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0);
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  // A terminal line is redrawn 4 times a second; a log gets one line every 2 s.
  if (now - last_ >= std::chrono::milliseconds(terminal_ ? 250 : 2000)) {
    last_ = now;
    print(false);
  }
}

void Progress::finish() {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  print(true);  // the final count and rate, also for jobs shorter than one update interval
}

void Progress::print(bool final) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(items_) / seconds : 0.0;
  const double fraction = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  const double eta = fraction > 0 ? seconds * (1.0 - fraction) / fraction : 0.0;
  const std::string line = fmt::format("{}: {}/{} {} ({:.1f}%), {:.0f} {}/s, ETA {:.0f} s", label_, done_, total_,
                                       unit_, 100.0 * fraction, rate, item_, eta);
  if (terminal_) {
    std::fprintf(stderr, "\r%s\033[K%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
  printed_ = true;
}

}  // namespace xpulse::runtime
