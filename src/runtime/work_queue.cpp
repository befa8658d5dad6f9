#include "runtime/work_queue.h"

#include <chrono>
#include <exception>

namespace xpulse::runtime {
namespace {

// Request words.
constexpr std::uint64_t kNext = 0;
constexpr std::uint64_t kLeave = 1;

}  // namespace

std::vector<std::size_t> static_share(std::span<const std::size_t> units, int rank, int size) {
  const std::size_t n = units.size(), r = static_cast<std::size_t>(rank), k = static_cast<std::size_t>(size);
  return {units.begin() + static_cast<std::ptrdiff_t>(r * n / k),
          units.begin() + static_cast<std::ptrdiff_t>((r + 1) * n / k)};
}

WorkQueue::WorkQueue(World& world, std::vector<std::size_t> units, std::function<void(std::size_t)> on_finished)
    : world_(world), on_finished_(std::move(on_finished)), units_(units.begin(), units.end()) {
  if (world_.is_root() && world_.distributed()) server_ = std::thread([this] { serve(); });
}

WorkQueue::~WorkQueue() {
  const bool failing = std::uncaught_exceptions() > 0;
  if (failing) world_.announce_failure();
  if (world_.is_root()) {
    if (failing) {
      std::lock_guard lock(mutex_);
      units_.clear();
    }
    if (server_.joinable()) server_.join();
  } else {
    try {
      world_.send(0, World::Tag::request, kLeave);
    } catch (...) {  // the job is failing already; agree() reports it
    }
  }
}

std::optional<std::size_t> WorkQueue::pop() {
  std::lock_guard lock(mutex_);
  if (world_.failure_announced()) units_.clear();
  if (units_.empty()) return std::nullopt;
  const std::size_t u = units_.front();
  units_.pop_front();
  return u;
}

std::optional<std::size_t> WorkQueue::next() {
  if (exhausted_) return std::nullopt;
  if (world_.is_root()) {
    {
      std::lock_guard lock(mutex_);
      if (server_error_) std::rethrow_exception(server_error_);
    }
    const std::optional<std::size_t> u = pop();
    exhausted_ = !u;
    return u;
  }
  if (!world_.failure_announced()) {
    world_.send(0, World::Tag::request, kNext);
    const std::uint64_t reply = world_.receive(0, World::Tag::reply);
    if (reply != 0) return static_cast<std::size_t>(reply - 1);
  }
  exhausted_ = true;
  return std::nullopt;
}

void WorkQueue::finished(std::size_t unit) {
  if (world_.is_root()) {
    if (on_finished_) on_finished_(unit);
  } else {
    world_.send(0, World::Tag::finished, unit);
  }
}

void WorkQueue::serve() {
  try {
    serve_requests();
  } catch (...) {
    // The job cannot continue: rank 0's next() rethrows, and the other ranks are told to stop.
    std::lock_guard lock(mutex_);
    server_error_ = std::current_exception();
    units_.clear();
    world_.announce_failure();
  }
}

void WorkQueue::serve_requests() {
  int active = world_.size() - 1;
  auto take_finished = [&] {
    bool any = false;
    while (const auto notice = world_.try_receive(World::Tag::finished)) {
      if (on_finished_) on_finished_(static_cast<std::size_t>(notice->second));
      any = true;
    }
    return any;
  };
  while (active > 0) {
    bool any = take_finished();
    if (const auto request = world_.try_receive(World::Tag::request)) {
      any = true;
      const auto [rank, word] = *request;
      if (word == kLeave) {
        --active;
      } else {
        const std::optional<std::size_t> unit = pop();
        world_.send(rank, World::Tag::reply, unit ? *unit + 1 : 0);
      }
    }
    if (!any) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  take_finished();
}

}  // namespace xpulse::runtime
