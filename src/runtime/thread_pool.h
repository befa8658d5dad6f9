#pragma once
// A fixed pool of worker threads with a dynamically scheduled parallel_for.
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace xpulse::runtime {

// Number of threads to use when the user gave none: the cores this process may run on.
unsigned default_thread_count();

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads);  // threads >= 1; the calling thread takes part, so threads - 1 spawn
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return threads_; }

  // Calls body(index, worker) for index in [0, count), worker in [0, size()), handing out indices in order as
  // workers become free. Blocks until all are done; the first exception thrown by a body is rethrown here and
  // no new indices are started after it.
  void parallel_for(std::size_t count, const std::function<void(std::size_t index, unsigned worker)>& body);

 private:
  void work(unsigned worker);
  void run_indices(unsigned worker);

  unsigned threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(std::size_t, unsigned)>* body_ = nullptr;
  std::size_t count_ = 0;
  std::size_t next_ = 0;
  std::size_t generation_ = 0;
  unsigned busy_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace xpulse::runtime
