#pragma once
// The processes of one job: a single process, or the ranks of an MPI launch (mpirun, srun). The same binary
// runs both ways: MPI is initialised only when a launcher started the process (ARCHITECTURE.md: runtime layer).
//
// Failure protocol. Work is cut into phases that end in agree(): every rank passes the error it met (or none)
// and every rank gets back the error of the lowest failing rank, so all ranks stop together and the message is
// printed once (by rank 0). Inside a long phase a failing rank calls announce_failure() and the others poll
// failure_announced() between work units, so the job ends within one work unit rather than at the end.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace xpulse::runtime {

// What kind of xpulse error it was, so that the type survives the trip between ranks (and run_phase).
enum class ErrorKind : std::uint8_t { input, io, invalid_argument, journal_refused, internal };

// An error carried between ranks: the message and its kind (input kinds exit 2, internal 1).
struct JobError {
  std::string message;
  ErrorKind kind = ErrorKind::input;
  int rank = 0;  // where it happened
};

// n items in contiguous blocks over the ranks, as even as can be: rank r owns [first(r), first(r + 1)).
struct Blocks {
  std::size_t n = 0;
  int ranks = 1;
  std::size_t first(int r) const { return n * static_cast<std::size_t>(r) / static_cast<std::size_t>(ranks); }
  int owner(std::size_t i) const {  // i < n
    return static_cast<int>(((i + 1) * static_cast<std::size_t>(ranks) - 1) / n);
  }
};

class World {
 public:
  // The process group of this process, made by MpiSession (single-process until then).
  static World& get();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }
  std::string describe() const;  // "1 process", "3 MPI ranks"
  // This rank's index among the ranks on its node (from the launcher; 0 when unknown), to share out GPUs.
  int local_rank() const;

  // Element-wise float64 sum of every rank's `values` into rank 0's `values` (MPI_Reduce; others unchanged).
  void sum_to_root(std::span<double> values);
  // Element-wise integer sum over ranks, result on every rank.
  void sum_all(std::span<std::uint64_t> values);
  // Element-wise float64 sum over ranks, result on every rank (MPI_Allreduce; the ranks may round differently
  // in the last bit, so state that must stay identical on every rank is broadcast from rank 0 instead).
  void sum_all(std::span<double> values);
  // Rank 0's bytes copied into every rank's `bytes` (same size everywhere).
  void broadcast(std::span<std::byte> bytes);
  template <class T>
  void broadcast_values(std::span<T> values) {
    broadcast(std::as_writable_bytes(values));
  }
  // Every rank's `values` concatenated in rank order, on every rank.
  std::vector<double> all_gather(std::span<const double> values);
  // Every rank's `values` concatenated in rank order on rank 0 (empty elsewhere).
  std::vector<float> gather_to_root(std::span<const float> values);
  std::vector<std::uint64_t> gather_to_root(std::span<const std::uint64_t> values);
  // Every rank's `values` (plain data) concatenated in rank order, on every rank (MPI_Allgatherv).
  template <class T>
  std::vector<T> all_gather_values(std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!mpi_) return {values.begin(), values.end()};
    return from_bytes<T>(all_gather_bytes(std::as_bytes(values), sizeof(T)));
  }
  // All-to-all: to_rank[r] goes to rank r; returns what every rank sent this one, concatenated in rank order
  // (MPI_Alltoallv). to_rank has one entry per rank.
  template <class T>
  std::vector<T> exchange(std::vector<std::vector<T>> to_rank) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!mpi_ && to_rank.size() == 1) return std::move(to_rank[0]);  // one process: nothing moves
    std::vector<std::span<const std::byte>> parts;
    for (const std::vector<T>& v : to_rank) parts.push_back(std::as_bytes(std::span<const T>(v)));
    return from_bytes<T>(exchange_bytes(parts, sizeof(T)));
  }

  // Failure protocol (see above).
  std::optional<JobError> agree(const std::optional<JobError>& mine);
  void announce_failure();
  bool failure_announced();

  // Point-to-point messages of one 64-bit word, for the work distributor.
  enum class Tag : int { request = 101, reply = 102, abort = 103, finished = 104 };
  void send(int destination, Tag tag, std::uint64_t value);
  // A waiting message with this tag from any rank, received; nullopt when none is waiting.
  std::optional<std::pair<int, std::uint64_t>> try_receive(Tag tag);
  std::uint64_t receive(int source, Tag tag);

 private:
  friend class MpiSession;
  // The byte forms of the templates above: whole elements of `element` bytes.
  std::vector<std::byte> all_gather_bytes(std::span<const std::byte> bytes, std::size_t element);
  std::vector<std::byte> exchange_bytes(std::span<const std::span<const std::byte>> to_rank, std::size_t element);
  template <class T>
  static std::vector<T> from_bytes(const std::vector<std::byte>& bytes) {
    std::vector<T> out(bytes.size() / sizeof(T));
    if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  int rank_ = 0;
  int size_ = 1;
  bool mpi_ = false;
  std::atomic<bool> announced_ = false;  // set by the main or the work-serving thread
};

// Initialises MPI when the process was started by an MPI launcher, finalises it at the end of main().
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  static bool built();  // MPI support compiled in
};

// Thrown by a rank that stops its work because another rank announced a failure: not an error of its own, so
// run_phase() reports the other rank's.
class StoppedByOtherRank : public std::exception {
 public:
  const char* what() const noexcept override { return "stopped: another rank failed"; }
};

// The JobError of the exception being handled (inside a catch block).
JobError current_job_error(int rank);
// Throws `error` as the matching xpulse error type (InputError for input errors, Error otherwise).
[[noreturn]] void rethrow_job_error(const JobError& error);

// Runs `work` on every rank, then agrees on the outcome: rethrows, on every rank, the error of the lowest
// failing rank. Errors of other ranks are dropped, so the job reports one message.
template <class Work>
void run_phase(World& world, Work&& work) {
  std::optional<JobError> mine;
  try {
    work();
  } catch (const StoppedByOtherRank&) {
  } catch (...) {
    mine = current_job_error(world.rank());
    world.announce_failure();
  }
  if (const std::optional<JobError> agreed = world.agree(mine)) rethrow_job_error(*agreed);
}

}  // namespace xpulse::runtime
