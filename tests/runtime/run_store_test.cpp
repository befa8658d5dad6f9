// The run database: records go in and come back; writers in several threads at once lose nothing; the recorder
// survives a database it cannot open.
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "runtime/run_store.h"

namespace xpulse::runtime {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("xpulse_run_store_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(RunStore, RecordsComeBack) {
  const fs::path db = scratch("records") / "sub" / "runs.db";  // the folder is created
  RunStore store(db.string());
  RunRecord r;
  r.command = "fit", r.command_line = "xpulse fit a.h5 --out b.h5", r.host = "node1", r.ranks = 3, r.pid = 42;
  r.started = 1.7e9;
  const std::int64_t id = store.begin(r);
  store.update(id, 0.25, R"({"x":1})");
  store.add_work_units(id, {{0, "rows 0", 1.7e9, 1.7e9 + 1, 100}, {2, "rows 8", 1.7e9 + 0.5, 1.7e9 + 2, 200}});
  auto got = store.get(id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, "running");
  EXPECT_DOUBLE_EQ(got->progress, 0.25);
  EXPECT_EQ(got->metrics, R"({"x":1})");
  store.finish(id, "finished", "", R"({"x":2})", R"(["a.h5"])", R"(["b.h5"])");
  got = store.get(id);
  EXPECT_EQ(got->status, "finished");
  EXPECT_DOUBLE_EQ(got->progress, 1.0);
  EXPECT_GT(got->ended, got->started);
  EXPECT_EQ(got->host, "node1");
  EXPECT_EQ(got->ranks, 3);
  EXPECT_EQ(got->inputs, R"(["a.h5"])");
  const auto units = store.work_units(id);
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[1].rank, 2);
  EXPECT_EQ(units[1].bytes, 200u);
  const std::int64_t second = store.begin(r);
  store.finish(second, "failed", "xpulse: error: x", "{}", "[]", "[]");
  const auto list = store.list(10);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, second);  // newest first
  EXPECT_EQ(list[0].message, "xpulse: error: x");
  EXPECT_FALSE(store.get(999));
}

TEST(RunStore, ConcurrentWritersLoseNoRecord) {
  const std::string db = (scratch("concurrent") / "runs.db").string();
  constexpr int kWriters = 4, kRuns = 25;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&db, w] {
      RunStore store(db);  // one connection each, like separate jobs
      for (int i = 0; i < kRuns; ++i) {
        RunRecord r;
        r.command = "writer " + std::to_string(w);
        const auto id = store.begin(r);
        store.add_work_units(id, {{w, "unit", 0, 1, 8}});
        store.finish(id, "finished", "", "{}", "[]", "[]");
      }
    });
  }
  for (auto& t : writers) t.join();
  RunStore store(db);
  const auto all = store.list(1000);
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kWriters * kRuns));
  for (const auto& r : all) {
    EXPECT_EQ(r.status, "finished");
    EXPECT_EQ(store.work_units(r.id).size(), 1u);
  }
}

TEST(RunStore, UnopenableDatabaseIsAnError) {
  EXPECT_THROW(RunStore("/proc/xpulse-no-such/runs.db"), Error);
  EXPECT_THROW(RunStore(""), Error);
}

}  // namespace
}  // namespace xpulse::runtime
