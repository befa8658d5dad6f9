// `xpulse sfx merge` across MPI ranks: the ranks read shares of the tables, scale and post-refine their crystals,
// merge their blocks of reflections and gather, and give one process's bits for 2 and 3 ranks (skipped without
// MPI).
#include <algorithm>
#include <filesystem>

#include <hdf5.h>

#include <gtest/gtest.h>

#include "cli_harness.h"
#include "hdf5_compare.h"
#include "mpi_launch.h"

namespace xpulse::testing {
namespace {

const std::string kCell = " --cell 131.448,88.701,115.912,90,105.33,90 --centering C";

// Two reflection tables of separately simulated stills.
void two_tables(const ScratchDir& dir) {
  for (const char* seed : {"3", "4"}) {
    const std::string cxi = dir / (std::string("stills") + seed + ".cxi");
    const auto s = run_xpulse("simulate sfx --pdb " XPULSE_TEST_DATA "/2cex.pdb --out " + cxi +
                                  " --frames 60 --pixels 512x512 --hit-fraction 1 --threads 2 --seed " + seed,
                              dir);
    ASSERT_EQ(s.exit_code, 0) << s.err;
    const auto p = run_xpulse("sfx process " + cxi + kCell + " --threads 2 --out " + dir / "table" + seed + ".h5", dir);
    ASSERT_EQ(p.exit_code, 0) << p.err;
  }
}

TEST(SfxMergeJob, RanksGiveOneProcesssBits) {
  REQUIRE_MPI();
  ScratchDir dir;
  two_tables(dir);
  const std::string merge = "sfx merge " + dir / "table3.h5 " + dir / "table4.h5 --point-group 2 --threads 1";
  for (const char* options : {"", " --model xsphere --scale linear-b"}) {
    SCOPED_TRACE(options);
    const CommandResult one = run_xpulse(merge + options + " --out " + dir / "one.h5", dir);
    ASSERT_EQ(one.exit_code, 0) << one.err;
    for (int ranks : {2, 3}) {
      const std::string out = dir / ("ranks" + std::to_string(ranks) + ".h5");
      const CommandResult r = run_xpulse_with(mpirun(ranks), merge + options + " --out " + out, dir);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_NE(r.out.find(std::to_string(ranks) + " MPI ranks"), std::string::npos) << r.out;
      expect_same_datasets(dir / "one.h5", out);
      std::filesystem::remove(out);
    }
    std::filesystem::remove(dir / "one.h5");
  }
}

// The last reflection row names a frame that /indexing lacks: only the rank that reads the last rows meets it,
// and every rank must stop with that rank's one line.
void break_last_row(const std::string& path) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t set = H5Dopen2(file, "/reflections/frame", H5P_DEFAULT);
  const hid_t space = H5Dget_space(set);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  const hsize_t last = n - 1, one = 1;
  H5Sselect_hyperslab(space, H5S_SELECT_SET, &last, nullptr, &one, nullptr);
  const hid_t memory = H5Screate_simple(1, &one, nullptr);
  const std::uint32_t frame = 999999;
  EXPECT_GE(H5Dwrite(set, H5T_NATIVE_UINT32, memory, space, H5P_DEFAULT, &frame), 0);
  H5Sclose(memory), H5Sclose(space), H5Dclose(set), H5Fclose(file);
}

TEST(SfxMergeJob, ABadRowOnOneRankStopsEveryRankWithOneLine) {
  REQUIRE_MPI();
  ScratchDir dir;
  two_tables(dir);
  break_last_row(dir / "table4.h5");
  const CommandResult r = run_xpulse_with(
      mpirun(2), "sfx merge " + dir / "table3.h5 " + dir / "table4.h5 --point-group 2 --out " + dir / "m.mtz", dir);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("xpulse: error: reflection "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("names frame 999999"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "m.mtz"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.mtz.stats.h5"));
}

}  // namespace
}  // namespace xpulse::testing
