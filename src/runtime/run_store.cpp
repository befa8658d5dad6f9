#include "runtime/run_store.h"

#include <chrono>
#include <cstdlib>

#include "core/error.h"

#include "runtime/postgres_run_store.h"
#include "runtime/sqlite_run_store.h"

namespace xpulse::runtime {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool RunStore::is_postgres_url(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::unique_ptr<RunStore> RunStore::open(const std::string& location) {
  if (is_postgres_url(location)) return std::make_unique<PostgresRunStore>(location);
  return std::make_unique<SqliteRunStore>(location);
}

std::unique_ptr<RunStore> RunStore::open_records(const std::string& location) {
  const std::string where = location.empty() ? default_location() : location;
  if (where.empty() || is_off(where)) throw InvalidArgument("no run database (XPULSE_DB is off)");
  try {
    return open(where);
  } catch (const Error& e) {
    throw InputError(e.what());
  }
}

std::string RunStore::default_location() {
  if (const char* v = std::getenv("XPULSE_DB"); v && *v) return v;
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.local/share/xpulse/runs.db";
  return "";
}

}  // namespace xpulse::runtime
