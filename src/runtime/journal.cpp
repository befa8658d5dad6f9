#include "runtime/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "runtime/world.h"

namespace xpulse::runtime {
namespace {

namespace fs = std::filesystem;
constexpr char kMagic[8] = {'X', 'P', 'J', 'R', 'N', 'L', '0', '1'};

std::uint64_t fnv1a(std::uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

std::uint64_t checksum(std::uint64_t unit, std::span<const std::byte> payload) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  const std::uint64_t size = payload.size();
  h = fnv1a(h, &unit, sizeof unit);
  h = fnv1a(h, &size, sizeof size);
  return fnv1a(h, payload.data(), payload.size());
}

std::string rank_file(const std::string& directory, int rank) {
  return (fs::path(directory) / fmt::format("rank-{}.log", rank)).string();
}

// The rank of a rank-R.log file name, or -1.
int rank_of(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.rfind("rank-", 0) != 0 || file.extension() != ".log") return -1;
  try {
    return std::stoi(name.substr(5));
  } catch (...) {
    return -1;
  }
}

struct Scan {
  std::optional<std::string> identity;  // nullopt: header incomplete (killed while creating the file)
  std::vector<Journal::Entry> entries;
  std::uint64_t valid_end = 0;          // end of the last intact record
};

Scan scan(const std::string& path, int file_rank) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("cannot read journal '{}': {}", path, std::strerror(errno)));
  Scan s;
  char magic[8];
  std::uint64_t length = 0;
  if (!in.read(magic, 8) || !in.read(reinterpret_cast<char*>(&length), 8)) return s;
  if (std::memcmp(magic, kMagic, 8) != 0) throw InputError(fmt::format("'{}' is not an xpulse journal", path));
  std::string identity(length, '\0');
  if (!in.read(identity.data(), static_cast<std::streamsize>(length))) return s;
  s.identity = identity;
  s.valid_end = 16 + length;
  while (true) {
    std::uint64_t head[2];
    if (!in.read(reinterpret_cast<char*>(head), sizeof head)) break;
    std::vector<std::byte> payload(head[1]);
    std::uint64_t sum = 0;
    if (head[1] > (1ull << 40) || !in.read(reinterpret_cast<char*>(payload.data()), static_cast<std::streamsize>(head[1])) ||
        !in.read(reinterpret_cast<char*>(&sum), sizeof sum) || sum != checksum(head[0], payload)) {
      break;  // torn by a kill: this record and anything after it are dropped
    }
    s.entries.push_back({head[0], file_rank, s.valid_end + sizeof head, head[1]});
    s.valid_end += sizeof head + head[1] + sizeof sum;
  }
  return s;
}

// The first setting that differs, in words, for the message when a journal belongs to another job.
std::string first_difference(const std::string& a, const std::string& b) {
  try {
    const auto ja = nlohmann::json::parse(a), jb = nlohmann::json::parse(b);
    if (ja.contains("input") && ja.value("input", "") == jb.value("input", "") &&
        (ja.value("input_bytes", 0ull) != jb.value("input_bytes", 0ull) ||
         ja.value("input_modified_ns", 0ll) != jb.value("input_modified_ns", 0ll))) {
      return fmt::format("the input '{}' was {} since the journal was written", ja["input"].get<std::string>(),
                         ja.value("input_bytes", 0ull) != jb.value("input_bytes", 0ull) ? "resized" : "modified");
    }
    for (const auto& [key, value] : ja.items()) {
      if (key == "input_bytes" || key == "input_modified_ns") continue;
      if (!jb.contains(key)) return fmt::format("the setting {} is new", key);
      if (jb[key] != value) return fmt::format("{} was {}, is now {}", key, jb[key].dump(), value.dump());
    }
    for (const auto& [key, value] : jb.items()) {
      if (!ja.contains(key)) return fmt::format("{} is gone", key);
    }
  } catch (const nlohmann::json::exception&) {
  }
  return "its description differs";
}

void write_all(int fd, const void* data, std::size_t n, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw IoError(fmt::format("cannot write journal '{}': {}", path, std::strerror(errno)));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

std::vector<std::byte> header(const std::string& identity) {
  PayloadWriter w;
  w.put(std::span<const char>(kMagic, 8));
  w.put<std::uint64_t>(identity.size());
  w.put(std::span<const char>(identity.data(), identity.size()));
  return w.bytes();
}

std::vector<std::byte> record(std::uint64_t unit, std::span<const std::byte> payload) {
  PayloadWriter w;
  w.put<std::uint64_t>(unit);
  w.put<std::uint64_t>(payload.size());
  w.put(payload);
  w.put<std::uint64_t>(checksum(unit, payload));
  return w.bytes();
}

void sync(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) throw IoError(fmt::format("cannot flush journal '{}': {}", path, std::strerror(errno)));
}

}  // namespace

void PayloadWriter::append(const void* data, std::size_t n) {
  const std::size_t at = bytes_.size();
  bytes_.resize(at + n);
  if (n > 0) std::memcpy(bytes_.data() + at, data, n);
}

void PayloadReader::take(void* out, std::size_t n) {
  if (position_ + n > bytes_.size()) throw Error("journal record is shorter than its contents");
  if (n > 0) std::memcpy(out, bytes_.data() + position_, n);  // an empty span may have no data pointer
  position_ += n;
}

std::string Journal::directory_for(const std::string& output) { return output + ".journal"; }

std::size_t Journal::prepare(const std::string& output, const std::string& identity, bool resume) {
  const std::string directory = directory_for(output);
  std::error_code ec;
  if (fs::exists(directory, ec)) {
    std::size_t records = 0;
    std::string other_job;
    for (const auto& item : fs::directory_iterator(directory)) {
      const int r = rank_of(item.path());
      if (r < 0) continue;
      const Scan s = scan(item.path().string(), r);
      if (s.identity && *s.identity != identity && other_job.empty()) {
        other_job = first_difference(identity, *s.identity);
      }
      records += s.entries.size();
    }
    if (records == 0) {
      // Nothing finished is lost: a run that died before its first unit leaves nothing to resume.
      fs::remove_all(directory, ec);
    } else if (!resume) {
      throw JournalRefused(fmt::format(
          "a journal of an unfinished run with {} finished work unit{} exists at '{}': rerun with --resume to "
          "continue it, or delete it to start again",
          records, records == 1 ? "" : "s", directory));
    } else if (!other_job.empty()) {
      throw JournalRefused(fmt::format("journal '{}' belongs to a different job: {}; rerun the same command, or "
                                       "delete the journal to start again",
                                       directory, other_job));
    } else {
      return records;
    }
  }
  fs::create_directories(directory, ec);
  if (ec) throw IoError(fmt::format("cannot create journal '{}': {}", directory, ec.message()));
  return 0;
}

void Journal::rethrow_after_failure(const std::string& output, bool owner) {
  std::size_t kept = 0;
  if (owner) {
    try {
      kept = recorded(output);
    } catch (const std::exception&) {
      kept = 1;  // an unreadable journal is the user's to inspect, never ours to delete
    }
    if (kept == 0) remove(output);
  }
  if (kept == 0) throw;
  const auto note = [&](const char* what) {
    return fmt::format("{} ({} finished work unit{} kept in '{}': fix the problem and rerun with --resume, or "
                       "delete it to start again)",
                       what, kept, kept == 1 ? "" : "s", directory_for(output));
  };
  try {
    throw;
  } catch (const JournalRefused&) {
    throw;
  } catch (const IoError& e) {
    throw IoError(note(e.what()));
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(note(e.what()));
  } catch (const InputError& e) {
    throw InputError(note(e.what()));
  } catch (const Error& e) {
    throw Error(note(e.what()));
  }
}

Journal::Journal(const std::string& output, const std::string& identity, int rank)
    : directory_(directory_for(output)), identity_(identity), rank_(rank) {
  std::vector<std::pair<int, fs::path>> files;
  for (const auto& item : fs::directory_iterator(directory_)) {
    const int r = rank_of(item.path());
    if (r >= 0) files.emplace_back(r, item.path());
  }
  std::sort(files.begin(), files.end());
  std::uint64_t own_end = 0;
  bool own_header = false;
  // prepare() has checked every file's identity; files made since are this run's.
  for (const auto& [r, path] : files) {
    Scan s = scan(path.string(), r);
    entries_.insert(entries_.end(), s.entries.begin(), s.entries.end());
    if (r == rank) {
      own_end = s.valid_end;
      own_header = s.identity.has_value();
    }
  }
  const std::string path = rank_file(directory_, rank);
  fd_ = ::open(path.c_str(), O_CREAT | O_WRONLY, 0644);
  if (fd_ < 0) throw IoError(fmt::format("cannot write journal '{}': {}", path, std::strerror(errno)));
  // Drop a torn tail (or a torn header) before appending.
  if (!own_header) own_end = 0;
  if (::ftruncate(fd_, static_cast<off_t>(own_end)) != 0 || ::lseek(fd_, 0, SEEK_END) < 0) {
    throw IoError(fmt::format("cannot write journal '{}': {}", path, std::strerror(errno)));
  }
  if (!own_header) {
    const std::vector<std::byte> h = header(identity);
    write_all(fd_, h.data(), h.size(), path);
    sync(fd_, path);
  }
}

std::unique_ptr<Journal> Journal::open(World& world, const std::string& output, const std::string& identity,
                                       bool resume) {
  run_phase(world, [&] {
    if (world.is_root()) prepare(output, identity, resume);
  });
  std::unique_ptr<Journal> journal;
  run_phase(world, [&] { journal = std::make_unique<Journal>(output, identity, world.rank()); });
  return journal;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::byte> Journal::load(const Entry& entry) const {
  const std::string path = rank_file(directory_, entry.file_rank);
  std::ifstream in(path, std::ios::binary);
  std::vector<std::byte> payload(entry.bytes);
  in.seekg(static_cast<std::streamoff>(entry.offset));
  if (!in.read(reinterpret_cast<char*>(payload.data()), static_cast<std::streamsize>(entry.bytes))) {
    throw IoError(fmt::format("cannot read journal '{}'", path));
  }
  return payload;
}

void Journal::append(std::uint64_t unit, std::span<const std::byte> payload) {
  const std::string path = rank_file(directory_, rank_);
  const std::vector<std::byte> r = record(unit, payload);
  write_all(fd_, r.data(), r.size(), path);
  sync(fd_, path);
}

void Journal::replace(std::uint64_t unit, std::span<const std::byte> payload) {
  const std::string path = rank_file(directory_, rank_);
  const std::string temporary = path + ".new";
  const int fd = ::open(temporary.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) throw IoError(fmt::format("cannot write journal '{}': {}", temporary, std::strerror(errno)));
  try {
    const std::vector<std::byte> h = header(identity_), r = record(unit, payload);
    write_all(fd, h.data(), h.size(), temporary);
    write_all(fd, r.data(), r.size(), temporary);
    sync(fd, temporary);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    throw IoError(fmt::format("cannot replace journal '{}': {}", path, std::strerror(errno)));
  }
  ::close(fd_);
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND);
  if (fd_ < 0) throw IoError(fmt::format("cannot write journal '{}': {}", path, std::strerror(errno)));
}

std::size_t Journal::recorded(const std::string& output) {
  const std::string directory = directory_for(output);
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) return 0;
  std::size_t records = 0;
  for (const auto& item : fs::directory_iterator(directory, ec)) {
    const int r = rank_of(item.path());
    if (r >= 0) records += scan(item.path().string(), r).entries.size();
  }
  return records;
}

void Journal::remove(const std::string& output) {
  std::error_code ec;
  fs::remove_all(directory_for(output), ec);
}

}  // namespace xpulse::runtime
