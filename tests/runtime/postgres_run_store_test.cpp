// The PostgreSQL run store against a real server (the ctest fixture "postgres", tests/postgres_server.sh): the
// backend contract, a refused connection, and xpulse jobs recording into it and read back by `xpulse runs`.
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include <gtest/gtest.h>

#include "../cli/cli_harness.h"
#include "core/error.h"
#include "run_store_contract.h"

namespace xpulse::runtime {
namespace {

// The server's URL, written by the fixture.
std::string server_url() {
  const char* file = std::getenv("XPULSE_TEST_POSTGRES_URL_FILE");
  if (!file) throw Error("XPULSE_TEST_POSTGRES_URL_FILE is not set: run these tests through ctest");
  std::ifstream in(file);
  std::string url;
  if (!(in >> url)) throw Error(std::string("no PostgreSQL URL in ") + file + " (did the fixture start?)");
  return url;
}

// A fresh, empty schema for one test, as a URL whose search_path points at it.
std::string fresh_postgres(const std::string& test) {
  std::string schema = "t_" + test;
  std::transform(schema.begin(), schema.end(), schema.begin(),
                 [](unsigned char c) { return std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_'; });
  const std::string url = server_url();
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    throw Error("cannot reach the test server: " + message);
  }
  PGresult* r = PQexec(conn, ("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema).c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  const std::string message = PQerrorMessage(conn);
  PQclear(r);
  PQfinish(conn);
  if (!ok) throw Error("cannot create schema " + schema + ": " + message);
  return url + "?options=-csearch_path%3D" + schema;
}

INSTANTIATE_TEST_SUITE_P(Postgres, RunStoreContract, ::testing::Values(StoreBackend{"postgres", fresh_postgres}),
                         [](const auto& info) { return info.param.name; });

TEST(PostgresRunStore, RefusedConnectionIsAnErrorNamingTheServer) {
  // Port 1 on loopback: nothing listens there.
  try {
    RunStore::open("postgresql://xpulse@127.0.0.1:1/postgres");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("run database 'postgresql://xpulse@127.0.0.1:1/postgres'"), std::string::npos)
        << e.what();
  }
}

TEST(PostgresRunStore, JobsRecordIntoItAndRunsReadsItBack) {
  using namespace xpulse::testing;
  ScratchDir dir;
  const std::string db = fresh_postgres("jobs");
  const std::string env = "XPULSE_DB='" + db + "'";
  ASSERT_EQ(run_xpulse_with(env, "simulate pump-probe --out " + dir / "s.h5" + " --shape 20x16x16", dir).exit_code, 0);
  const auto fit = run_xpulse_with(env, "fit " + dir / "s.h5" + " --out " + dir / "f.h5" + " --unit-rows 4", dir);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_EQ(fit.err.find("not recorded"), std::string::npos) << fit.err;
  const auto list = run_xpulse("runs list --db '" + db + "' --json", dir);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(R"("command":"fit")"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(R"("command":"simulate pump-probe")"), std::string::npos) << list.out;
  const auto store = RunStore::open(db);
  const auto runs = store->list(10);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].status, "finished");
  EXPECT_EQ(store->work_units(runs[0].id).size(), 4u);
  const auto show = run_xpulse("runs show " + std::to_string(runs[0].id) + " --db '" + db + "'", dir);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("work units: 4"), std::string::npos) << show.out;
  // The weather plot of a run in PostgreSQL (xpulse-plot gets its work units exported).
  const auto weather =
      run_xpulse("runs weather " + std::to_string(runs[0].id) + " --db '" + db + "' --out " + dir / "w.png", dir);
  ASSERT_EQ(weather.exit_code, 0) << weather.err;
  EXPECT_GT(std::filesystem::file_size(dir / "w.png"), 1000u);
}

TEST(PostgresRunStore, UnreachableServerNeverStopsAJob) {
  using namespace xpulse::testing;
  ScratchDir dir;
  const auto r = run_xpulse_with("XPULSE_DB=postgresql://xpulse@127.0.0.1:1/postgres",
                                 "simulate pump-probe --out " + dir / "s.h5" + " --shape 20x8x8", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("the run is not recorded from here on"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "s.h5"));
}

}  // namespace
}  // namespace xpulse::runtime
