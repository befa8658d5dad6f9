#include "runtime/world.h"

#include "runtime/journal.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"

#if XPULSE_WITH_MPI
#define OMPI_SKIP_MPICXX 1  // the C API only (the deprecated C++ bindings need another library)
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace xpulse::runtime {
namespace {

World& the_world() {
  static World world;
  return world;
}

#if XPULSE_WITH_MPI
// An MPI launcher sets one of these in every process it starts (Open MPI's mpirun, PMIx and PMI-2 under srun).
bool started_by_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw Error(fmt::format("MPI: {} failed: {}", what, std::string(text, static_cast<std::size_t>(length))));
  }
}
#endif

}  // namespace

World& World::get() { return the_world(); }

std::string World::describe() const {
  return size_ == 1 ? std::string("1 process") : fmt::format("{} MPI ranks", size_);
}

int World::local_rank() const {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"}) {
    if (const char* v = std::getenv(name)) return std::atoi(v);
  }
  return 0;
}

JobError current_job_error(int rank) {
  try {
    throw;
  } catch (const JournalRefused& e) {
    return {e.what(), ErrorKind::journal_refused, rank};
  } catch (const IoError& e) {
    return {e.what(), ErrorKind::io, rank};
  } catch (const InvalidArgument& e) {
    return {e.what(), ErrorKind::invalid_argument, rank};
  } catch (const InputError& e) {
    return {e.what(), ErrorKind::input, rank};
  } catch (const std::exception& e) {
    return {e.what(), ErrorKind::internal, rank};
  } catch (...) {
    return {"unknown exception", ErrorKind::internal, rank};
  }
}

void rethrow_job_error(const JobError& error) {
  switch (error.kind) {
    case ErrorKind::journal_refused: throw JournalRefused(error.message);
    case ErrorKind::io: throw IoError(error.message);
    case ErrorKind::invalid_argument: throw InvalidArgument(error.message);
    case ErrorKind::input: throw InputError(error.message);
    case ErrorKind::internal: break;
  }
  throw Error(error.message);
}

bool MpiSession::built() { return XPULSE_WITH_MPI != 0; }

#if XPULSE_WITH_MPI

MpiSession::MpiSession(int& argc, char**& argv) {
  if (!started_by_launcher()) return;
  int provided = 0;
  // The work distributor's thread on rank 0 talks to the other ranks while the main thread works.
  check(MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
  if (provided < MPI_THREAD_MULTIPLE) {
    MPI_Finalize();
    throw Error("the MPI library does not provide MPI_THREAD_MULTIPLE, which the work distributor needs");
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  World& w = the_world();
  MPI_Comm_rank(MPI_COMM_WORLD, &w.rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &w.size_);
  w.mpi_ = true;
}

MpiSession::~MpiSession() {
  World& w = the_world();
  if (!w.mpi_) return;
  // Abort notices that were never read (a failure another rank saw first) are drained so none is left pending.
  while (w.try_receive(World::Tag::abort)) {
  }
  MPI_Finalize();
  w.mpi_ = false;
}

void World::sum_to_root(std::span<double> values) {
  if (!mpi_) return;
  if (is_root()) {
    check(MPI_Reduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, 0,
                     MPI_COMM_WORLD),
          "MPI_Reduce");
  } else {
    check(MPI_Reduce(values.data(), nullptr, static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD),
          "MPI_Reduce");
  }
}

void World::sum_all(std::span<std::uint64_t> values) {
  if (!mpi_) return;
  check(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_UINT64_T, MPI_SUM,
                      MPI_COMM_WORLD),
        "MPI_Allreduce");
}

void World::sum_all(std::span<double> values) {
  if (!mpi_) return;
  check(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM,
                      MPI_COMM_WORLD),
        "MPI_Allreduce");
}

void World::broadcast(std::span<std::byte> bytes) {
  if (!mpi_) return;
  // In pieces: MPI counts are int.
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  for (std::size_t first = 0; first < bytes.size(); first += kPiece) {
    const int count = static_cast<int>(std::min(kPiece, bytes.size() - first));
    check(MPI_Bcast(bytes.data() + first, count, MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
  }
}

std::vector<double> World::all_gather(std::span<const double> values) {
  if (!mpi_) return {values.begin(), values.end()};
  const int count = static_cast<int>(values.size());
  std::vector<int> counts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
  check(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    displs[static_cast<std::size_t>(r)] = total;
    total += counts[static_cast<std::size_t>(r)];
  }
  std::vector<double> all(static_cast<std::size_t>(total));
  check(MPI_Allgatherv(values.data(), count, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE,
                       MPI_COMM_WORLD),
        "MPI_Allgatherv");
  return all;
}

namespace {
template <class T>
std::vector<T> gather(std::span<const T> values, MPI_Datatype type, int rank, int size) {
  const int count = static_cast<int>(values.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  check(MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
  std::vector<T> all;
  if (rank == 0) {
    int total = 0;
    for (int r = 0; r < size; ++r) {
      displs[static_cast<std::size_t>(r)] = total;
      total += counts[static_cast<std::size_t>(r)];
    }
    all.resize(static_cast<std::size_t>(total));
  }
  check(MPI_Gatherv(values.data(), count, type, all.data(), counts.data(), displs.data(), type, 0, MPI_COMM_WORLD),
        "MPI_Gatherv");
  return all;
}
}  // namespace

std::vector<float> World::gather_to_root(std::span<const float> values) {
  if (!mpi_) return {values.begin(), values.end()};
  return gather(values, MPI_FLOAT, rank_, size_);
}

std::vector<std::uint64_t> World::gather_to_root(std::span<const std::uint64_t> values) {
  if (!mpi_) return {values.begin(), values.end()};
  return gather(values, MPI_UINT64_T, rank_, size_);
}

namespace {
// A datatype of `element` bytes, so that counts are in elements (MPI counts are int).
class ElementType {
 public:
  explicit ElementType(std::size_t element) {
    check(MPI_Type_contiguous(static_cast<int>(element), MPI_BYTE, &type_), "MPI_Type_contiguous");
    check(MPI_Type_commit(&type_), "MPI_Type_commit");
  }
  ~ElementType() { MPI_Type_free(&type_); }
  ElementType(const ElementType&) = delete;
  ElementType& operator=(const ElementType&) = delete;
  MPI_Datatype get() const { return type_; }

 private:
  MPI_Datatype type_ = MPI_DATATYPE_NULL;
};

int element_count(std::size_t bytes, std::size_t element) {
  const std::size_t n = bytes / element;
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw Error(fmt::format("MPI: {} elements in one message exceed MPI's int counts", n));
  }
  return static_cast<int>(n);
}

// Displacements of `counts` laid end to end; the total in `total`.
std::vector<int> displacements(const std::vector<int>& counts, std::size_t& total) {
  std::vector<int> displs(counts.size());
  total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    if (total > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      throw Error("MPI: a collective's total exceeds MPI's int counts");
    }
    displs[r] = static_cast<int>(total);
    total += static_cast<std::size_t>(counts[r]);
  }
  return displs;
}
}  // namespace

std::vector<std::byte> World::all_gather_bytes(std::span<const std::byte> bytes, std::size_t element) {
  if (!mpi_) return {bytes.begin(), bytes.end()};
  const ElementType type(element);
  const int count = element_count(bytes.size(), element);
  std::vector<int> counts(static_cast<std::size_t>(size_));
  check(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
  std::size_t total = 0;
  const std::vector<int> displs = displacements(counts, total);
  std::vector<std::byte> all(total * element);
  check(MPI_Allgatherv(bytes.data(), count, type.get(), all.data(), counts.data(), displs.data(), type.get(),
                       MPI_COMM_WORLD),
        "MPI_Allgatherv");
  return all;
}

std::vector<std::byte> World::exchange_bytes(std::span<const std::span<const std::byte>> to_rank,
                                             std::size_t element) {
  if (to_rank.size() != static_cast<std::size_t>(size_)) throw Error("exchange: one part per rank");
  if (!mpi_) return {to_rank[0].begin(), to_rank[0].end()};
  const ElementType type(element);
  std::vector<int> send_counts(to_rank.size()), receive_counts(to_rank.size());
  std::vector<std::byte> send;
  for (std::size_t r = 0; r < to_rank.size(); ++r) {
    send_counts[r] = element_count(to_rank[r].size(), element);
    send.insert(send.end(), to_rank[r].begin(), to_rank[r].end());
  }
  check(MPI_Alltoall(send_counts.data(), 1, MPI_INT, receive_counts.data(), 1, MPI_INT, MPI_COMM_WORLD),
        "MPI_Alltoall");
  std::size_t sent = 0, total = 0;
  const std::vector<int> send_displs = displacements(send_counts, sent);
  const std::vector<int> receive_displs = displacements(receive_counts, total);
  std::vector<std::byte> received(total * element);
  check(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), type.get(), received.data(),
                      receive_counts.data(), receive_displs.data(), type.get(), MPI_COMM_WORLD),
        "MPI_Alltoallv");
  return received;
}

std::optional<JobError> World::agree(const std::optional<JobError>& mine) {
  if (!mpi_) return mine;
  // The lowest failing rank speaks for the job; its message and kind go to every rank.
  int failing = mine ? rank_ : size_;
  check(MPI_Allreduce(MPI_IN_PLACE, &failing, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce");
  if (failing == size_) return std::nullopt;
  std::uint64_t header[2] = {mine ? mine->message.size() : 0, mine ? static_cast<std::uint64_t>(mine->kind) : 0u};
  check(MPI_Bcast(header, 2, MPI_UINT64_T, failing, MPI_COMM_WORLD), "MPI_Bcast");
  JobError e{rank_ == failing ? mine->message : std::string(header[0], '\0'), static_cast<ErrorKind>(header[1]),
             failing};
  check(MPI_Bcast(e.message.data(), static_cast<int>(header[0]), MPI_CHAR, failing, MPI_COMM_WORLD), "MPI_Bcast");
  return e;
}

void World::announce_failure() {
  if (!mpi_ || announced_) return;
  announced_ = true;
  static const std::uint64_t word = 1;
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    MPI_Request request;
    MPI_Isend(&word, 1, MPI_UINT64_T, r, static_cast<int>(Tag::abort), MPI_COMM_WORLD, &request);
    MPI_Request_free(&request);
  }
}

bool World::failure_announced() {
  if (!mpi_) return false;
  if (announced_) return true;
  int flag = 0;
  MPI_Iprobe(MPI_ANY_SOURCE, static_cast<int>(Tag::abort), MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
  return flag != 0;
}

void World::send(int destination, Tag tag, std::uint64_t value) {
  check(MPI_Send(&value, 1, MPI_UINT64_T, destination, static_cast<int>(tag), MPI_COMM_WORLD), "MPI_Send");
}

std::optional<std::pair<int, std::uint64_t>> World::try_receive(Tag tag) {
  if (!mpi_) return std::nullopt;
  int flag = 0;
  MPI_Status status;
  check(MPI_Iprobe(MPI_ANY_SOURCE, static_cast<int>(tag), MPI_COMM_WORLD, &flag, &status), "MPI_Iprobe");
  if (!flag) return std::nullopt;
  std::uint64_t value = 0;
  check(MPI_Recv(&value, 1, MPI_UINT64_T, status.MPI_SOURCE, static_cast<int>(tag), MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE),
        "MPI_Recv");
  return std::make_pair(status.MPI_SOURCE, value);
}

std::uint64_t World::receive(int source, Tag tag) {
  // Polled with short sleeps: a blocking MPI_Recv spins a core, which the computing threads need.
  MPI_Request request;
  std::uint64_t value = 0;
  check(MPI_Irecv(&value, 1, MPI_UINT64_T, source, static_cast<int>(tag), MPI_COMM_WORLD, &request), "MPI_Irecv");
  int done = 0;
  while (true) {
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done) return value;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

#else  // single-process build: every collective is the identity

MpiSession::MpiSession(int&, char**&) {}
MpiSession::~MpiSession() = default;
void World::sum_to_root(std::span<double>) {}
void World::sum_all(std::span<std::uint64_t>) {}
void World::sum_all(std::span<double>) {}
void World::broadcast(std::span<std::byte>) {}
std::vector<double> World::all_gather(std::span<const double> v) { return {v.begin(), v.end()}; }
std::vector<float> World::gather_to_root(std::span<const float> v) { return {v.begin(), v.end()}; }
std::vector<std::uint64_t> World::gather_to_root(std::span<const std::uint64_t> v) { return {v.begin(), v.end()}; }
std::vector<std::byte> World::all_gather_bytes(std::span<const std::byte> bytes, std::size_t) {
  return {bytes.begin(), bytes.end()};
}
std::vector<std::byte> World::exchange_bytes(std::span<const std::span<const std::byte>> to_rank, std::size_t) {
  if (to_rank.size() != 1) throw Error("exchange: one part per rank");
  return {to_rank[0].begin(), to_rank[0].end()};
}
std::optional<JobError> World::agree(const std::optional<JobError>& mine) { return mine; }
void World::announce_failure() {}
bool World::failure_announced() { return false; }
void World::send(int, Tag, std::uint64_t) { throw Error("MPI messaging without MPI support"); }
std::optional<std::pair<int, std::uint64_t>> World::try_receive(Tag) { return std::nullopt; }
std::uint64_t World::receive(int, Tag) { throw Error("MPI messaging without MPI support"); }

#endif

}  // namespace xpulse::runtime
