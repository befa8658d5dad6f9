#pragma once
// Which rank computes which work unit of a job (units are indices the pipeline defines: bands of rows, ...).
//  - static_share(): contiguous, equal shares in unit order, for even work that each rank reads in one piece;
//  - WorkQueue: rank 0 hands out units one at a time on request, for uneven work (the pull model of psana's
//    SMD0 -> workers). A request, a reply (the next unit, or none) and a finished notice (for progress on
//    rank 0) are one 64-bit word each. Rank 0 serves them from a thread that polls, so it computes units too;
//    per unit it receives two words and sends one.
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "runtime/world.h"

namespace xpulse::runtime {

std::vector<std::size_t> static_share(std::span<const std::size_t> units, int rank, int size);

class WorkQueue {
 public:
  // Collective: every rank constructs it with the same units. on_finished(unit) runs on rank 0 (on the serving
  // thread too) for every unit any rank has finished.
  WorkQueue(World& world, std::vector<std::size_t> units, std::function<void(std::size_t)> on_finished = {});
  // Leaves the queue; rank 0 waits until every rank has left. Leaving during an exception announces the failure.
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // The next unit for this rank; nullopt when none is left or a rank failed. A rank may ask for the next unit
  // before it has finished the previous one (to read ahead).
  std::optional<std::size_t> next();
  // Reports a unit as finished (on_finished runs on rank 0).
  void finished(std::size_t unit);

 private:
  std::optional<std::size_t> pop();
  void serve();  // rank 0's serving thread
  void serve_requests();

  World& world_;
  std::function<void(std::size_t)> on_finished_;
  std::deque<std::size_t> units_;
  std::mutex mutex_;
  bool exhausted_ = false;  // got "none"; a worker still tells rank 0 when it leaves (destructor)
  std::exception_ptr server_error_;  // an MPI failure of the serving thread, rethrown by rank 0's next()
  std::thread server_;
};

}  // namespace xpulse::runtime
