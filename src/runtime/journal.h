#pragma once
// The journal of a job: finished work units kept beside the output (OUT.journal/), so that a job that was
// killed or pre-empted is rerun with --resume and computes only what is missing.
//
// Layout: one append-only file per rank, rank-R.log: a header (magic, the job's identity) then records
// [unit, payload bytes, payload, checksum]. Each record is flushed to disk before the unit counts as done; a
// record torn by a kill fails its checksum and is dropped (with anything after it). The identity is the job's
// description (command, input, options that change results) as JSON: a journal of a different job is refused.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"

namespace xpulse::runtime {

class World;

// The journal refused this run (one of another job, or unfinished work without --resume): said as it is.
class JournalRefused : public InputError {
 public:
  using InputError::InputError;
};

class Journal {
 public:
  struct Entry {
    std::uint64_t unit = 0;
    int file_rank = 0;         // the rank-R.log it is in
    std::uint64_t offset = 0;  // of the payload
    std::uint64_t bytes = 0;
  };

  static std::string directory_for(const std::string& output);  // OUT.journal

  // Run once (by rank 0) before any rank opens the journal. A journal without any finished unit is discarded.
  // Otherwise, without resume it is refused (JournalRefused, saying how many units it holds); with resume every
  // file in it must belong to `identity` (JournalRefused naming the setting that differs). Creates the directory.
  // Returns the number of records found (0: nothing to resume).
  static std::size_t prepare(const std::string& output, const std::string& identity, bool resume);

  // Every rank, after prepare(): reads what earlier runs recorded and opens rank-`rank`.log for appending.
  Journal(const std::string& output, const std::string& identity, int rank);

  // Collective: prepare() on rank 0, then every rank's Journal, each step agreed by all ranks (run_phase).
  static std::unique_ptr<Journal> open(World& world, const std::string& output, const std::string& identity,
                                       bool resume);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Every unit recorded so far, by any run and rank, in file then record order.
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<std::byte> load(const Entry& entry) const;

  // Records a finished unit (written and flushed to disk before returning).
  void append(std::uint64_t unit, std::span<const std::byte> payload);
  // Replaces this rank's records by one (a checkpoint of state rather than a finished unit); atomic.
  void replace(std::uint64_t unit, std::span<const std::byte> payload);

  // Intact records in the journal of `output` (0 when there is none); reads only.
  static std::size_t recorded(const std::string& output);

  // Deletes the journal (rank 0, once the final output is committed).
  static void remove(const std::string& output);

  // Call inside a catch block of a journaled job that failed; rethrows. The owner (rank 0) deletes a journal that
  // holds no finished unit, so the next run starts clean; an xpulse error that leaves units behind gains how many
  // are kept and how to resume or discard them.
  [[noreturn]] static void rethrow_after_failure(const std::string& output, bool owner);

  // Runs a journaled job's body under rethrow_after_failure.
  template <class Body>
  static auto guard(const std::string& output, bool owner, Body&& body) -> decltype(body()) {
    try {
      return body();
    } catch (...) {
      rethrow_after_failure(output, owner);
    }
  }

 private:
  std::string directory_;
  std::string identity_;
  int rank_;
  int fd_ = -1;
  std::vector<Entry> entries_;
};

// Appends plain values and arrays to a payload, and reads them back in the same order.
class PayloadWriter {
 public:
  template <class T>
  void put(const T& value) {
    append(&value, sizeof(T));
  }
  template <class T>
  void put(std::span<const T> values) {
    append(values.data(), values.size_bytes());
  }
  const std::vector<std::byte>& bytes() const { return bytes_; }

 private:
  void append(const void* data, std::size_t n);
  std::vector<std::byte> bytes_;
};

class PayloadReader {
 public:
  explicit PayloadReader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  template <class T>
  T get() {
    T value;
    take(&value, sizeof(T));
    return value;
  }
  template <class T>
  void get(std::span<T> out) {
    take(out.data(), out.size_bytes());
  }
  bool done() const { return position_ == bytes_.size(); }

 private:
  void take(void* out, std::size_t n);  // throws Error when the payload is shorter
  std::span<const std::byte> bytes_;
  std::size_t position_ = 0;
};

}  // namespace xpulse::runtime
