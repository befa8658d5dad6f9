#pragma once
// The shared run store: a PostgreSQL server through libpq, for many jobs on many nodes writing to one place.
// The location is a libpq URL (postgresql://user@host:port/database?...); connecting gives up after 5 s unless
// the URL says otherwise. One connection per store; calls on one store are serialised by its caller.
#include "runtime/run_store.h"

struct pg_conn;

namespace xpulse::runtime {

class PostgresRunStore final : public RunStore {
 public:
  explicit PostgresRunStore(const std::string& url);  // throws Error
  ~PostgresRunStore() override;
  PostgresRunStore(const PostgresRunStore&) = delete;
  PostgresRunStore& operator=(const PostgresRunStore&) = delete;

  std::int64_t begin(const RunRecord& run) override;
  void update(std::int64_t id, double progress, const std::string& metrics) override;
  void finish(std::int64_t id, const std::string& status, const std::string& message, const std::string& metrics,
              const std::string& inputs, const std::string& outputs) override;
  void add_work_units(std::int64_t id, const std::vector<WorkUnitRecord>& units) override;
  void add_series(std::int64_t id, const std::vector<SeriesPoint>& points) override;

  std::vector<RunRecord> list(std::size_t limit) const override;
  std::optional<RunRecord> get(std::int64_t id) const override;
  std::vector<WorkUnitRecord> work_units(std::int64_t id) const override;
  std::vector<SeriesPoint> series(std::int64_t id) const override;

 private:
  void copy_rows(const char* copy_sql, const std::string& rows);
  pg_conn* conn_ = nullptr;
};

}  // namespace xpulse::runtime
