#pragma once
// What every run-store backend must do (runtime/run_store.h), as value-parameterised tests: records, work units
// and series come back as written; writers in several threads, and in several processes under mpirun, lose
// nothing. A backend's test file instantiates RunStoreContract with a maker of fresh, empty store locations.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/run_store.h"

namespace xpulse::runtime {

struct StoreBackend {
  std::string name;
  std::function<std::string(const std::string& test)> fresh_location;  // an empty store for this test
};
inline void PrintTo(const StoreBackend& b, std::ostream* os) { *os << b.name; }

class RunStoreContract : public ::testing::TestWithParam<StoreBackend> {
 protected:
  std::string location() {
    return GetParam().fresh_location(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
};

TEST_P(RunStoreContract, RecordsComeBack) {
  const auto store = RunStore::open(location());
  RunRecord r;
  r.command = "fit", r.command_line = "xpulse fit a.h5 --out 'b c.h5'", r.host = "node1", r.ranks = 3, r.pid = 42;
  r.started = 1.7e9 + 0.123456;
  const std::int64_t id = store->begin(r);
  store->update(id, 0.25, R"({"x":1})");
  // Names with the characters a bulk insert must escape.
  store->add_work_units(id, {{0, "rows 0", 1.7e9, 1.7e9 + 1, 100}, {2, "rows\t8\\\n", 1.7e9 + 0.5, 1.7e9 + 2, 1ull << 40}});
  store->add_series(id, {{"hit_rate", 100, 0.25}, {"hit_rate", 200, 1.0 / 3.0}, {"fsc", 1, -2.5e-300}});
  auto got = store->get(id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, "running");
  EXPECT_DOUBLE_EQ(got->progress, 0.25);
  EXPECT_EQ(got->metrics, R"({"x":1})");
  EXPECT_EQ(got->started, r.started);  // to the last bit
  store->finish(id, "finished", "", R"({"x":2})", R"(["a.h5"])", R"(["b.h5"])");
  got = store->get(id);
  EXPECT_EQ(got->status, "finished");
  EXPECT_DOUBLE_EQ(got->progress, 1.0);
  EXPECT_GT(got->ended, got->started);
  EXPECT_EQ(got->host, "node1");
  EXPECT_EQ(got->command_line, r.command_line);
  EXPECT_EQ(got->ranks, 3);
  EXPECT_EQ(got->pid, 42);
  EXPECT_EQ(got->inputs, R"(["a.h5"])");
  EXPECT_EQ(got->outputs, R"(["b.h5"])");
  const auto units = store->work_units(id);
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[1].rank, 2);
  EXPECT_EQ(units[1].unit, "rows\t8\\\n");
  EXPECT_EQ(units[1].bytes, 1ull << 40);
  EXPECT_EQ(units[1].started, 1.7e9 + 0.5);
  const auto series = store->series(id);
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[1].name, "hit_rate");
  EXPECT_EQ(series[1].x, 200);
  EXPECT_EQ(series[1].y, 1.0 / 3.0);
  EXPECT_EQ(series[2].y, -2.5e-300);
  const std::int64_t second = store->begin(r);
  store->finish(second, "failed", "xpulse: error: x", "{}", "[]", "[]");
  const auto list = store->list(10);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, second);  // newest first
  EXPECT_EQ(list[0].message, "xpulse: error: x");
  EXPECT_DOUBLE_EQ(list[0].progress, 0.0);  // a failed run keeps its progress
  EXPECT_EQ(store->list(1).size(), 1u);
  EXPECT_FALSE(store->get(999));
  EXPECT_TRUE(store->work_units(999).empty());
}

TEST_P(RunStoreContract, ConcurrentThreadsLoseNoRecord) {
  const std::string db = location();
  constexpr int kWriters = 4, kRuns = 25;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&db, w] {
      try {
        const auto store = RunStore::open(db);  // one connection each, like separate jobs
        for (int i = 0; i < kRuns; ++i) {
          RunRecord r;
          r.command = "writer " + std::to_string(w);
          const auto id = store->begin(r);
          store->add_work_units(id, {{w, "unit", 0, 1, 8}});
          store->finish(id, "finished", "", "{}", "[]", "[]");
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "writer " << w << ": " << e.what();
      }
    });
  }
  for (auto& t : writers) t.join();
  const auto store = RunStore::open(db);
  const auto all = store->list(1000);
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kWriters * kRuns));
  for (const auto& r : all) {
    EXPECT_EQ(r.status, "finished");
    EXPECT_EQ(store->work_units(r.id).size(), 1u);
  }
}

// Three processes under mpirun, each with its own connection, each recording runs with many work units.
TEST_P(RunStoreContract, ConcurrentMpiRanksLoseNoRecord) {
  if (std::string(XPULSE_MPIEXEC).empty()) GTEST_SKIP() << "built without MPI";
  const std::string db = location();
  constexpr int kRanks = 3, kRuns = 20, kUnits = 200;
  std::string command = std::string(XPULSE_MPIEXEC) + " -q --oversubscribe";
  if (::geteuid() == 0) command += " --allow-run-as-root";
  command += " -n " + std::to_string(kRanks) + " " + XPULSE_RUN_STORE_WRITER + " '" + db + "' " +
             std::to_string(kRuns) + " " + std::to_string(kUnits);
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const auto store = RunStore::open(db);
  const auto all = store->list(10000);
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kRanks * kRuns));
  std::vector<int> per_rank(kRanks, 0);
  for (const auto& r : all) {
    EXPECT_EQ(r.status, "finished");
    ++per_rank[std::stoi(r.command.substr(r.command.find(' ') + 1))];
    const auto units = store->work_units(r.id);
    ASSERT_EQ(units.size(), static_cast<std::size_t>(kUnits));
    EXPECT_EQ(units.back().unit, "unit " + std::to_string(kUnits - 1));
    EXPECT_EQ(store->series(r.id).size(), static_cast<std::size_t>(kUnits));
  }
  for (int rank = 0; rank < kRanks; ++rank) EXPECT_EQ(per_rank[rank], kRuns) << "rank " << rank;
}

}  // namespace xpulse::runtime
