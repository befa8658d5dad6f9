#include "runtime/sqlite_run_store.h"

#include <filesystem>

#include <fmt/format.h>
#include <sqlite3.h>

#include "core/error.h"
#include "runtime/run_columns.h"

namespace xpulse::runtime {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, command_line TEXT, host TEXT, ranks INTEGER,
  pid INTEGER, started REAL, ended REAL, status TEXT, message TEXT, progress REAL, metrics TEXT, inputs TEXT,
  outputs TEXT);
CREATE TABLE IF NOT EXISTS work_units (
  run INTEGER NOT NULL REFERENCES runs(id), rank INTEGER, unit TEXT, started REAL, ended REAL, bytes INTEGER);
CREATE INDEX IF NOT EXISTS work_units_run ON work_units(run);
CREATE TABLE IF NOT EXISTS series (run INTEGER NOT NULL REFERENCES runs(id), name TEXT, x REAL, y REAL);
CREATE INDEX IF NOT EXISTS series_run ON series(run);
)sql";

// One prepared statement, finalised on destruction.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) {
      throw Error(fmt::format("run database: cannot prepare '{}': {}", sql, sqlite3_errmsg(db)));
    }
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  bool step() {  // true while rows come
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(fmt::format("run database: {}", sqlite3_errmsg(db_)));
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string text(int i) const {
    const auto* p = sqlite3_column_text(s_, i);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  double real(int i) const { return sqlite3_column_double(s_, i); }
  std::int64_t integer(int i) const { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

RunRecord run_of(const Statement& s) {
  return run_from_columns([&](int i) { return s.text(i); }, [&](int i) { return s.real(i); },
                          [&](int i) { return s.integer(i); });
}

}  // namespace

void SqliteRunStore::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw Error(fmt::format("run database: {}", message));
  }
}

template <class Insert>
void SqliteRunStore::in_transaction(Insert&& insert) {
  // IMMEDIATE: the write lock is taken (waiting for it) at the start, so that two writers never deadlock on
  // upgrading read locks, which SQLite would answer with an immediate "database is locked".
  exec("BEGIN IMMEDIATE");
  try {
    insert();
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

SqliteRunStore::SqliteRunStore(const std::string& path) {
  if (path.empty()) throw Error("run database: no path (set XPULSE_DB or HOME)");
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  std::error_code ignored;
  if (!folder.empty()) std::filesystem::create_directories(folder, ignored);
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(fmt::format("run database '{}': {}", path, message));
  }
  // Several jobs write at once: wait for the lock rather than fail.
  sqlite3_busy_timeout(db_, 10000);
  // Jobs starting together on a new file race to switch it to WAL and create the tables; switching the journal
  // mode does not wait on the busy handler, so the losers retry for up to 10 s.
  for (int attempt = 0;; ++attempt) {
    try {
      exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
      in_transaction([&] { exec(kSchema); });
      break;
    } catch (const Error&) {
      const int code = sqlite3_errcode(db_);
      if ((code == SQLITE_BUSY || code == SQLITE_LOCKED) && attempt < 1000) {
        sqlite3_sleep(10);
        continue;
      }
      sqlite3_close(db_);
      db_ = nullptr;
      throw;
    }
  }
}

SqliteRunStore::~SqliteRunStore() {
  if (db_) sqlite3_close(db_);
}

std::int64_t SqliteRunStore::begin(const RunRecord& run) {
  Statement s(db_,
              "INSERT INTO runs (command, command_line, host, ranks, pid, started, ended, status, message, progress, "
              "metrics, inputs, outputs) VALUES (?, ?, ?, ?, ?, ?, 0, 'running', '', 0, '{}', '[]', '[]')");
  s.bind(1, run.command).bind(2, run.command_line).bind(3, run.host).bind(4, static_cast<std::int64_t>(run.ranks));
  s.bind(5, run.pid).bind(6, run.started);
  s.step();
  return sqlite3_last_insert_rowid(db_);
}

void SqliteRunStore::update(std::int64_t id, double progress, const std::string& metrics) {
  Statement s(db_, "UPDATE runs SET progress = ?, metrics = ? WHERE id = ?");
  s.bind(1, progress).bind(2, metrics).bind(3, id);
  s.step();
}

void SqliteRunStore::finish(std::int64_t id, const std::string& status, const std::string& message,
                            const std::string& metrics, const std::string& inputs, const std::string& outputs) {
  Statement s(db_,
              "UPDATE runs SET ended = ?, status = ?, message = ?, metrics = ?, inputs = ?, outputs = ?, "
              "progress = CASE WHEN ? = 'finished' THEN 1 ELSE progress END WHERE id = ?");
  s.bind(1, unix_now()).bind(2, status).bind(3, message).bind(4, metrics).bind(5, inputs).bind(6, outputs);
  s.bind(7, status).bind(8, id);
  s.step();
}

void SqliteRunStore::add_work_units(std::int64_t id, const std::vector<WorkUnitRecord>& units) {
  if (units.empty()) return;
  in_transaction([&] {
    Statement s(db_, "INSERT INTO work_units (run, rank, unit, started, ended, bytes) VALUES (?, ?, ?, ?, ?, ?)");
    for (const WorkUnitRecord& u : units) {
      s.bind(1, id).bind(2, static_cast<std::int64_t>(u.rank)).bind(3, u.unit).bind(4, u.started).bind(5, u.ended);
      s.bind(6, static_cast<std::int64_t>(u.bytes));
      s.step();
      s.reset();
    }
  });
}

void SqliteRunStore::add_series(std::int64_t id, const std::vector<SeriesPoint>& points) {
  if (points.empty()) return;
  in_transaction([&] {
    Statement s(db_, "INSERT INTO series (run, name, x, y) VALUES (?, ?, ?, ?)");
    for (const SeriesPoint& p : points) {
      s.bind(1, id).bind(2, p.name).bind(3, p.x).bind(4, p.y);
      s.step();
      s.reset();
    }
  });
}

std::vector<RunRecord> SqliteRunStore::list(std::size_t limit) const {
  Statement s(db_, fmt::format("SELECT {} FROM runs ORDER BY id DESC LIMIT ?", kRunColumns).c_str());
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(run_of(s));
  return out;
}

std::optional<RunRecord> SqliteRunStore::get(std::int64_t id) const {
  Statement s(db_, fmt::format("SELECT {} FROM runs WHERE id = ?", kRunColumns).c_str());
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return run_of(s);
}

std::vector<WorkUnitRecord> SqliteRunStore::work_units(std::int64_t id) const {
  Statement s(db_, "SELECT rank, unit, started, ended, bytes FROM work_units WHERE run = ? ORDER BY rowid");
  s.bind(1, id);
  std::vector<WorkUnitRecord> out;
  while (s.step()) {
    out.push_back({static_cast<int>(s.integer(0)), s.text(1), s.real(2), s.real(3),
                   static_cast<std::uint64_t>(s.integer(4))});
  }
  return out;
}

std::vector<SeriesPoint> SqliteRunStore::series(std::int64_t id) const {
  Statement s(db_, "SELECT name, x, y FROM series WHERE run = ? ORDER BY rowid");
  s.bind(1, id);
  std::vector<SeriesPoint> out;
  while (s.step()) out.push_back({s.text(0), s.real(1), s.real(2)});
  return out;
}

}  // namespace xpulse::runtime
