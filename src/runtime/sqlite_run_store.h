#pragma once
// The embedded run store: one SQLite file in WAL mode, so that several jobs write and several readers read at
// once (each waits up to 10 s for the write lock rather than fail).
#include "runtime/run_store.h"

struct sqlite3;

namespace xpulse::runtime {

class SqliteRunStore final : public RunStore {
 public:
  explicit SqliteRunStore(const std::string& path);  // throws Error
  ~SqliteRunStore() override;
  SqliteRunStore(const SqliteRunStore&) = delete;
  SqliteRunStore& operator=(const SqliteRunStore&) = delete;

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
  void exec(const char* sql);
  template <class Insert>
  void in_transaction(Insert&& insert);
  sqlite3* db_ = nullptr;
};

}  // namespace xpulse::runtime
