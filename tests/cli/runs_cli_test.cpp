// Every job leaves a record in the run database: `xpulse runs list` and `show` read them back; failed jobs carry
// their message; jobs at once and MPI ranks lose no record; an unusable database costs one warning, not the job.
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_harness.h"
#include "mpi_launch.h"

namespace xpulse::testing {
namespace {

namespace fs = std::filesystem;

class RunsCli : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string db = dir / "runs.db";
  CommandResult job(const std::string& args) { return run_xpulse_with("XPULSE_DB=" + db, args, dir); }
  std::vector<nlohmann::json> list() {
    const CommandResult r = job("runs list --json --limit 100");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<nlohmann::json> out;
    std::size_t start = 0;
    for (std::size_t end; (end = r.out.find('\n', start)) != std::string::npos; start = end + 1) {
      out.push_back(nlohmann::json::parse(r.out.substr(start, end - start)));
    }
    return out;
  }
};

TEST_F(RunsCli, JobsAreRecordedAndReadBack) {
  ASSERT_EQ(job("simulate pump-probe --out " + dir / "s.h5" + " --shape 30x32x32").exit_code, 0);
  ASSERT_EQ(job("fit " + dir / "s.h5" + " --out " + dir / "f.h5" + " --unit-rows 8 --threads 2").exit_code, 0);
  EXPECT_EQ(job("fit " + dir / "none.h5" + " --out " + dir / "g.h5").exit_code, 2);
  const auto runs = list();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[2]["command"], "simulate pump-probe");
  EXPECT_EQ(runs[1]["command"], "fit");
  EXPECT_EQ(runs[1]["status"], "finished");
  EXPECT_DOUBLE_EQ(runs[1]["progress"].get<double>(), 1.0);
  EXPECT_GT(runs[1]["metrics"]["converged_percent"].get<double>(), 0.0);
  EXPECT_EQ(runs[1]["inputs"][0], dir / "s.h5");
  EXPECT_EQ(runs[1]["outputs"][0], dir / "f.h5");
  EXPECT_GE(runs[1]["ended"].get<double>(), runs[1]["started"].get<double>());
  EXPECT_EQ(runs[0]["status"], "failed");
  EXPECT_NE(runs[0]["message"].get<std::string>().find("none.h5"), std::string::npos);
  const CommandResult show = job("runs show " + std::to_string(runs[1]["id"].get<int>()));
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("work units: 4"), std::string::npos) << show.out;  // 32 rows in units of 8
  EXPECT_NE(show.out.find("--unit-rows 8"), std::string::npos) << show.out;
  const CommandResult plain = job("runs list");
  EXPECT_NE(plain.out.find("finished"), std::string::npos);
  expect_input_error(job("runs show 999"), "run 999 is not in the run database");
}

TEST_F(RunsCli, ConcurrentJobsAndRanksLoseNoRecord) {
  ASSERT_EQ(job("simulate pump-probe --out " + dir / "s.h5" + " --shape 30x48x32").exit_code, 0);
  // Three jobs at once.
  const std::string fit = fmt::format("XPULSE_DB={} {} fit {} --threads 1", db, XPULSE_BINARY, dir / "s.h5");
  const std::string jobs = fmt::format("{0} --out {1}/f0.h5 & {0} --out {1}/f1.h5 & {0} --out {1}/f2.h5 & wait", fit,
                                       dir.path().string());
  ASSERT_EQ(std::system(("sh -c '" + jobs + "' >/dev/null 2>&1").c_str()), 0);
  EXPECT_EQ(list().size(), 4u);
  if (std::string(XPULSE_MPIEXEC).empty()) return;
  // Three ranks: rank 0 records the run and every rank's work units.
  const CommandResult r = run_xpulse_with("XPULSE_DB=" + db + " " + mpirun(3),
                                          "fit " + dir / "s.h5" + " --out " + dir / "m.h5" + " --unit-rows 8 --threads 1",
                                          dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto runs = list();
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_EQ(runs[0]["ranks"], 3);
  const CommandResult show = job("runs show " + std::to_string(runs[0]["id"].get<int>()) + " --json");
  EXPECT_EQ(nlohmann::json::parse(show.out)["work_units"], 6);  // 48 rows in units of 8, over 3 ranks
  // The weather plot of that run (xpulse-plot, linked onto PATH by the bootstrap).
  const CommandResult weather = job("runs weather " + std::to_string(runs[0]["id"].get<int>()) + " --out " +
                                    dir / "weather.png");
  ASSERT_EQ(weather.exit_code, 0) << weather.err;
  EXPECT_GT(fs::file_size(dir / "weather.png"), 10000u);
  expect_input_error(job("runs weather 999 --out " + dir / "w.png"), "run 999 is not in the run database");
}

TEST_F(RunsCli, AnUnusableDatabaseCostsOneWarningNotTheJob) {
  const CommandResult r = run_xpulse_with("XPULSE_DB=/proc/xpulse-none/runs.db",
                                          "simulate pump-probe --out " + dir / "s.h5" + " --shape 10x8x8", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "s.h5"));
  std::size_t warnings = 0;
  for (std::size_t at = 0; (at = r.err.find("the run is not recorded", at)) != std::string::npos; ++at) ++warnings;
  EXPECT_EQ(warnings, 1u) << r.err;
  const CommandResult off = run_xpulse_with("XPULSE_DB=none", "runs list", dir);
  expect_input_error(off, "no run database (XPULSE_DB is off)");
}

}  // namespace
}  // namespace xpulse::testing
