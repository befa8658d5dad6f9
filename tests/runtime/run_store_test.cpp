// The SQLite run store (the embedded default) against the backend contract, and its own failure modes.
#include <filesystem>

#include <gtest/gtest.h>

#include "core/error.h"
#include "run_store_contract.h"

namespace xpulse::runtime {
namespace {

namespace fs = std::filesystem;

std::string fresh_sqlite(const std::string& test) {
  const fs::path dir = fs::temp_directory_path() / ("xpulse_run_store_" + test);
  fs::remove_all(dir);
  return (dir / "sub" / "runs.db").string();  // the folders are created by the store
}

INSTANTIATE_TEST_SUITE_P(Sqlite, RunStoreContract, ::testing::Values(StoreBackend{"sqlite", fresh_sqlite}),
                         [](const auto& info) { return info.param.name; });

TEST(SqliteRunStore, UnopenableDatabaseIsAnError) {
  EXPECT_THROW(RunStore::open("/proc/xpulse-no-such/runs.db"), Error);
  EXPECT_THROW(RunStore::open(""), Error);
}

TEST(RunStoreLocation, PostgresUrlsAreRecognised) {
  EXPECT_TRUE(RunStore::is_postgres_url("postgresql://u@h:5432/db"));
  EXPECT_TRUE(RunStore::is_postgres_url("postgres://h/db"));
  EXPECT_FALSE(RunStore::is_postgres_url("/data/postgresql://x.db"));
  EXPECT_FALSE(RunStore::is_postgres_url("runs.db"));
}

}  // namespace
}  // namespace xpulse::runtime
