// `xpulse sfx process` as a job: a run killed part way resumes from its journal (--resume) to the bits of a
// whole run, and two MPI ranks give one process's bits (skipped without MPI).
#include <filesystem>

#include <gtest/gtest.h>

#include "cli_harness.h"
#include "hdf5_compare.h"
#include "kill_part_way.h"
#include "mpi_launch.h"

namespace xpulse::testing {
namespace {

namespace fs = std::filesystem;

const std::string kCell = " --cell 131.448,88.701,115.912,90,105.33,90 --centering C --multi 2";

void simulate(const ScratchDir& dir, std::size_t frames) {
  const auto r = run_xpulse("simulate sfx --pdb " XPULSE_TEST_DATA "/2cex.pdb --out " + dir / "stills.cxi" +
                                " --frames " + std::to_string(frames) +
                                " --pixels 512x512 --hit-fraction 0.8 --second-lattice-fraction 0.3 --seed 9 "
                                "--threads 2",
                            dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(SfxProcessJob, KilledRunResumesToTheWholeRunsBits) {
  ScratchDir dir;
  simulate(dir, 240);
  const std::string process = "sfx process " + dir / "stills.cxi" + kCell + " --threads 1 --frames-per-read 2";
  ASSERT_EQ(run_xpulse(process + " --out " + dir / "whole.h5", dir).exit_code, 0);
  const std::size_t journaled =
      kill_part_way(std::string(XPULSE_BINARY) + " " + process + " --out " + dir / "r.h5" + " >" + dir / "killed.txt" +
                        " 2>&1",
                    dir / "r.h5", 8);
  ASSERT_GE(journaled, 8u) << "the run ended before it could be killed: " << slurp(dir / "killed.txt");
  ASSERT_LT(journaled, 120u);
  EXPECT_FALSE(fs::exists(dir / "r.h5"));
  expect_input_error(run_xpulse(process + " --out " + dir / "r.h5", dir), "rerun with --resume");
  const CommandResult r = run_xpulse(process + " --out " + dir / "r.h5 --resume", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("resumed: "), std::string::npos) << r.out;
  expect_same_datasets(dir / "whole.h5", dir / "r.h5");
  EXPECT_FALSE(fs::exists(dir / "r.h5.journal"));
}

TEST(SfxProcessJob, TwoRanksGiveOneProcesssBits) {
  REQUIRE_MPI();
  ScratchDir dir;
  simulate(dir, 40);
  const std::string process = "sfx process " + dir / "stills.cxi" + kCell + " --threads 1 --frames-per-read 4";
  ASSERT_EQ(run_xpulse(process + " --out " + dir / "one.h5 --stream " + dir / "one.stream", dir).exit_code, 0);
  const CommandResult r =
      run_xpulse_with(mpirun(2), process + " --out " + dir / "two.h5 --stream " + dir / "two.stream", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 MPI ranks"), std::string::npos) << r.out;
  expect_same_datasets(dir / "one.h5", dir / "two.h5");
  // The streams differ only in the command line of their header.
  std::string one = slurp(dir / "one.stream"), two = slurp(dir / "two.stream");
  one = one.substr(one.find("----- Begin geometry file")), two = two.substr(two.find("----- Begin geometry file"));
  EXPECT_TRUE(one == two);
  EXPECT_FALSE(fs::exists(dir / "two.h5.journal"));
}

}  // namespace
}  // namespace xpulse::testing
