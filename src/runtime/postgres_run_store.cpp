#include "runtime/postgres_run_store.h"

#include <libpq-fe.h>

#include <fmt/format.h>

#include "core/error.h"
#include "runtime/run_columns.h"

namespace xpulse::runtime {
namespace {

// Creating the tables takes an advisory lock, so that jobs starting together on an empty database do not race.
constexpr const char* kSchema = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock(7391250418);
CREATE TABLE IF NOT EXISTS runs (
  id BIGSERIAL PRIMARY KEY, command TEXT NOT NULL, command_line TEXT, host TEXT, ranks INTEGER, pid BIGINT,
  started DOUBLE PRECISION, ended DOUBLE PRECISION, status TEXT, message TEXT, progress DOUBLE PRECISION,
  metrics TEXT, inputs TEXT, outputs TEXT);
CREATE TABLE IF NOT EXISTS work_units (
  seq BIGSERIAL PRIMARY KEY, run BIGINT NOT NULL REFERENCES runs(id), rank INTEGER, unit TEXT,
  started DOUBLE PRECISION, ended DOUBLE PRECISION, bytes BIGINT);
CREATE INDEX IF NOT EXISTS work_units_run ON work_units(run);
CREATE TABLE IF NOT EXISTS series (
  seq BIGSERIAL PRIMARY KEY, run BIGINT NOT NULL REFERENCES runs(id), name TEXT, x DOUBLE PRECISION,
  y DOUBLE PRECISION);
CREATE INDEX IF NOT EXISTS series_run ON series(run);
COMMIT;
)sql";

// One result, cleared on destruction; throws unless its status is one of those expected.
class Result {
 public:
  Result(PGresult* r, pg_conn* conn) : r_(r) {
    const auto status = PQresultStatus(r_);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_COPY_IN) {
      std::string message = r_ ? PQresultErrorMessage(r_) : PQerrorMessage(conn);
      while (!message.empty() && message.back() == '\n') message.pop_back();
      PQclear(r_);
      throw Error(fmt::format("run database: {}", message));
    }
  }
  ~Result() { PQclear(r_); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  int rows() const { return PQntuples(r_); }
  std::string text(int row, int col) const { return PQgetvalue(r_, row, col); }
  double real(int row, int col) const { return std::stod(text(row, col)); }
  std::int64_t integer(int row, int col) const { return std::stoll(text(row, col)); }

 private:
  PGresult* r_;
};

// Parameters as text: the exact decimal form of a double, so nothing is lost on the way.
std::string param(double v) { return fmt::format("{:.17g}", v); }
std::string param(std::int64_t v) { return std::to_string(v); }

Result run(pg_conn* conn, const char* sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  return Result(PQexecParams(conn, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0),
                conn);
}

RunRecord run_of(const Result& r, int row) {
  return run_from_columns([&](int i) { return r.text(row, i); }, [&](int i) { return r.real(row, i); },
                          [&](int i) { return r.integer(row, i); });
}

// A field of COPY's text format: backslash, tab, newline and carriage return escaped.
void append_copy_field(std::string& out, const std::string& v) {
  for (const char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

}  // namespace

PostgresRunStore::PostgresRunStore(const std::string& url) {
  // connect_timeout first: the URL's own value, when it has one, overrides it.
  const char* keys[] = {"connect_timeout", "dbname", "application_name", nullptr};
  const char* values[] = {"5", url.c_str(), "xpulse", nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string message = conn_ ? PQerrorMessage(conn_) : "out of memory";
    while (!message.empty() && message.back() == '\n') message.pop_back();
    PQfinish(conn_);
    conn_ = nullptr;
    throw Error(fmt::format("run database '{}': {}", url, message));
  }
  try {
    Result(PQexec(conn_, "SET client_min_messages = warning"), conn_);
    Result(PQexec(conn_, kSchema), conn_);
  } catch (...) {
    PQclear(PQexec(conn_, "ROLLBACK"));
    PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
}

PostgresRunStore::~PostgresRunStore() {
  if (conn_) PQfinish(conn_);
}

std::int64_t PostgresRunStore::begin(const RunRecord& r) {
  const Result result = run(conn_,
                            "INSERT INTO runs (command, command_line, host, ranks, pid, started, ended, status, "
                            "message, progress, metrics, inputs, outputs) VALUES ($1, $2, $3, $4, $5, $6, 0, "
                            "'running', '', 0, '{}', '[]', '[]') RETURNING id",
                            {r.command, r.command_line, r.host, param(std::int64_t{r.ranks}), param(r.pid),
                             param(r.started)});
  return result.integer(0, 0);
}

void PostgresRunStore::update(std::int64_t id, double progress, const std::string& metrics) {
  run(conn_, "UPDATE runs SET progress = $1, metrics = $2 WHERE id = $3", {param(progress), metrics, param(id)});
}

void PostgresRunStore::finish(std::int64_t id, const std::string& status, const std::string& message,
                              const std::string& metrics, const std::string& inputs, const std::string& outputs) {
  run(conn_,
      "UPDATE runs SET ended = $1, status = $2, message = $3, metrics = $4, inputs = $5, outputs = $6, "
      "progress = CASE WHEN $2 = 'finished' THEN 1 ELSE progress END WHERE id = $7",
      {param(unix_now()), status, message, metrics, inputs, outputs, param(id)});
}

// Many rows in one round trip: COPY ... FROM STDIN in its text format.
void PostgresRunStore::copy_rows(const char* copy_sql, const std::string& rows) {
  { const Result start(PQexec(conn_, copy_sql), conn_); }
  if (PQputCopyData(conn_, rows.data(), static_cast<int>(rows.size())) != 1 || PQputCopyEnd(conn_, nullptr) != 1) {
    throw Error(fmt::format("run database: {}", PQerrorMessage(conn_)));
  }
  while (PGresult* r = PQgetResult(conn_)) Result checked(r, conn_);
}

void PostgresRunStore::add_work_units(std::int64_t id, const std::vector<WorkUnitRecord>& units) {
  if (units.empty()) return;
  std::string rows;
  for (const WorkUnitRecord& u : units) {
    rows += fmt::format("{}\t{}\t", id, u.rank);
    append_copy_field(rows, u.unit);
    rows += fmt::format("\t{:.17g}\t{:.17g}\t{}\n", u.started, u.ended, u.bytes);
  }
  copy_rows("COPY work_units (run, rank, unit, started, ended, bytes) FROM STDIN", rows);
}

void PostgresRunStore::add_series(std::int64_t id, const std::vector<SeriesPoint>& points) {
  if (points.empty()) return;
  std::string rows;
  for (const SeriesPoint& p : points) {
    rows += fmt::format("{}\t", id);
    append_copy_field(rows, p.name);
    rows += fmt::format("\t{:.17g}\t{:.17g}\n", p.x, p.y);
  }
  copy_rows("COPY series (run, name, x, y) FROM STDIN", rows);
}

std::vector<RunRecord> PostgresRunStore::list(std::size_t limit) const {
  const Result r = run(conn_, fmt::format("SELECT {} FROM runs ORDER BY id DESC LIMIT $1", kRunColumns).c_str(),
                       {param(static_cast<std::int64_t>(limit))});
  std::vector<RunRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(run_of(r, i));
  return out;
}

std::optional<RunRecord> PostgresRunStore::get(std::int64_t id) const {
  const Result r = run(conn_, fmt::format("SELECT {} FROM runs WHERE id = $1", kRunColumns).c_str(), {param(id)});
  if (r.rows() == 0) return std::nullopt;
  return run_of(r, 0);
}

std::vector<WorkUnitRecord> PostgresRunStore::work_units(std::int64_t id) const {
  const Result r =
      run(conn_, "SELECT rank, unit, started, ended, bytes FROM work_units WHERE run = $1 ORDER BY seq", {param(id)});
  std::vector<WorkUnitRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({static_cast<int>(r.integer(i, 0)), r.text(i, 1), r.real(i, 2), r.real(i, 3),
                   static_cast<std::uint64_t>(r.integer(i, 4))});
  }
  return out;
}

std::vector<SeriesPoint> PostgresRunStore::series(std::int64_t id) const {
  const Result r = run(conn_, "SELECT name, x, y FROM series WHERE run = $1 ORDER BY seq", {param(id)});
  std::vector<SeriesPoint> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.text(i, 0), r.real(i, 1), r.real(i, 2)});
  return out;
}

}  // namespace xpulse::runtime
