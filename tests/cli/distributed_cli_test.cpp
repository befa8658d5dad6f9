// MPI runs (mpirun -n 2 and 3) give the single-process bits; killed runs resume (--resume) to the same bits; a
// failure on one rank ends the whole job with one message.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <sstream>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "cli_harness.h"
#include "hdf5_compare.h"
#include "io/dtype.h"
#include "../io/hdf5_test_files.h"
#include "kill_part_way.h"
#include "mpi_launch.h"
#include "runtime/journal.h"

namespace xpulse::testing {
namespace {

namespace fs = std::filesystem;

void simulate(const ScratchDir& dir, const std::string& name, const std::string& options) {
  const CommandResult r = run_xpulse("simulate pump-probe --out " + dir / name + " " + options, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

bool is_virtual(const std::string& path, const std::string& dataset) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  const hid_t dcpl = H5Dget_create_plist(d);
  const bool v = H5Pget_layout(dcpl) == H5D_VIRTUAL;
  H5Pclose(dcpl);
  H5Dclose(d);
  H5Fclose(f);
  return v;
}

TEST(Distributed, FitOnTwoAndThreeRanksEqualsOneProcess) {
  REQUIRE_MPI();
  ScratchDir dir;
  // Tile chunks: units handed out on request; frame chunks: static shares read in one piece.
  simulate(dir, "tiles.h5", "--shape 40x96x80 --chunks tile --seed 3");
  simulate(dir, "frames.h5", "--shape 40x96x80 --chunks frame --seed 3");
  for (const std::string input : {"tiles.h5", "frames.h5"}) {
    SCOPED_TRACE(input);
    const std::string fit = "fit " + dir / input + " --threads 1 --unit-rows 8 --out ";
    ASSERT_EQ(run_xpulse(fit + dir / "one.h5", dir).exit_code, 0);
    CommandResult r = run_xpulse_with(mpirun(2), fit + dir / "two.h5", dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("on 2 MPI ranks"), std::string::npos) << r.out;
    expect_same_datasets(dir / "one.h5", dir / "two.h5");
    EXPECT_TRUE(is_virtual(dir / "two.h5", "/fit/frequency"));
    EXPECT_TRUE(fs::exists(dir / "two.h5.parts/rank-1.h5"));
    r = run_xpulse_with(mpirun(3), fit + dir / "three.h5 --merge", dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_same_datasets(dir / "one.h5", dir / "three.h5");
    EXPECT_FALSE(is_virtual(dir / "three.h5", "/fit/frequency"));
    EXPECT_FALSE(fs::exists(dir / "three.h5.parts"));
    EXPECT_FALSE(fs::exists(dir / "three.h5.journal"));
    // The virtual file reads from its parts relative to its own folder: the pair moves together.
    fs::create_directories(dir / "moved");
    fs::rename(dir / "two.h5", dir / "moved/two.h5");
    fs::rename(dir / "two.h5.parts", dir / "moved/two.h5.parts");
    expect_same_datasets(dir / "one.h5", dir / "moved/two.h5");
    fs::remove_all(dir / "moved");
  }
}

TEST(Distributed, ReduceOnTwoAndThreeRanksEqualsOneProcess) {
  REQUIRE_MPI();
  ScratchDir dir;
  // 1100 columns: 14 rows per pixel block, so ranks split 96 rows into uneven shares of whole blocks.
  simulate(dir, "stack.h5", "--shape 12x96x1100 --chunks frame --dtype uint16 --seed 5");
  const std::string reduce = "reduce " + dir / "stack.h5" + " --threads 1 --out ";
  ASSERT_EQ(run_xpulse(reduce + dir / "one.h5", dir).exit_code, 0);
  CommandResult r = run_xpulse_with(mpirun(2), reduce + dir / "two.h5", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_datasets(dir / "one.h5", dir / "two.h5");
  EXPECT_TRUE(is_virtual(dir / "two.h5", "/reduce/std"));
  r = run_xpulse_with(mpirun(3), reduce + dir / "three.h5 --merge", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_datasets(dir / "one.h5", dir / "three.h5");
}

// A stack whose chunk at [frame, row, 0] is overwritten with junk (deflate then fails to decode it).
void write_corrupt_stack(const std::string& path, std::size_t frames, std::size_t ny, std::size_t nx,
                         hsize_t bad_frame, hsize_t bad_row) {
  const std::vector<hsize_t> dims = {frames, ny, nx};
  write_dataset(path, "/entry_1/data_1/data", io::DType::u16, dims, pattern(io::DType::u16, frames * ny * nx),
                {1, 8, nx}, {{H5Z_FILTER_DEFLATE, {4}}});
  std::vector<double> delays(frames);
  for (std::size_t i = 0; i < frames; ++i) delays[i] = 0.1 * static_cast<double>(i);
  std::vector<std::uint8_t> bytes(frames * sizeof(double));
  std::memcpy(bytes.data(), delays.data(), bytes.size());
  write_dataset(path, "/entry_1/data_1/delay", io::DType::f64, {frames}, bytes);
  corrupt_chunk(path, "/entry_1/data_1/data", {bad_frame, bad_row, 0});
}

TEST(Distributed, CorruptChunkOnOneRankEndsTheJobWithOneError) {
  REQUIRE_MPI();
  ScratchDir dir;
  // Reduce: 1024 columns = 16-row pixel blocks; rank 1 of 2 owns rows 32-63 and meets the damaged chunk.
  write_corrupt_stack(dir / "bad.h5", 10, 64, 1024, 5, 48);
  CommandResult r = run_xpulse_with(mpirun(2), "reduce " + dir / "bad.h5" + " --threads 1 --out " + dir / "r.h5", dir);
  expect_input_error(r, "chunk at [5, 48, 0] is corrupt");
  EXPECT_FALSE(fs::exists(dir / "r.h5"));
  // Fit: units on request, so whichever rank is given rows 40-47 fails; the other stops at its next unit.
  write_corrupt_stack(dir / "badfit.h5", 30, 64, 64, 12, 40);
  r = run_xpulse_with(mpirun(2), "fit " + dir / "badfit.h5" + " --threads 1 --unit-rows 8 --out " + dir / "f.h5",
                      dir);
  expect_input_error(r, "chunk at [12, 40, 0] is corrupt");
  EXPECT_FALSE(fs::exists(dir / "f.h5"));
  EXPECT_FALSE(fs::exists(dir / "f.h5.partial"));
}

TEST(Distributed, BadInputUnderMpiIsOneLine) {
  REQUIRE_MPI();
  ScratchDir dir;
  const CommandResult r = run_xpulse_with(mpirun(3), "fit " + dir / "missing.h5" + " --out " + dir / "f.h5", dir);
  expect_input_error(r, "missing.h5");
}

// Starts `command` in the background; returns its pid.
void expect_killed_fit_resumes(const std::string& launcher, const std::string& tag) {
  ScratchDir dir;
  // 128 units of 2 rows of the slower model: ~1 s of fitting, killed after 10 units.
  simulate(dir, "stack.h5", "--shape 40x256x512 --chunks tile --seed 7");
  const std::string fit = "fit " + dir / "stack.h5" +
                          " --threads 1 --unit-rows 2 --model damped-cosine-exp --out " + dir / "maps.h5";
  ASSERT_EQ(run_xpulse(fit.substr(0, fit.size() - (dir / "maps.h5").size()) + dir / "whole.h5", dir).exit_code, 0);
  const std::size_t journaled = kill_part_way(
      launcher + " " + XPULSE_BINARY + " " + fit + " >" + dir / "killed.txt" + " 2>&1", dir / "maps.h5", 10);
  SCOPED_TRACE(tag);
  ASSERT_GE(journaled, 10u) << "the run ended before it could be killed: " << slurp(dir / "killed.txt");
  ASSERT_LT(journaled, 128u);
  EXPECT_FALSE(fs::exists(dir / "maps.h5")) << "output under its final name before completion";
  // Without --resume the journal is an error; with it, only the missing units are fitted.
  expect_input_error(run_xpulse_with(launcher, fit, dir), "rerun with --resume");
  const CommandResult r = run_xpulse_with(launcher, fit + " --resume", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("resumed: " + std::to_string(journaled) + " of 128 work units"), std::string::npos) << r.out;
  expect_same_datasets(dir / "whole.h5", dir / "maps.h5");
  EXPECT_FALSE(fs::exists(dir / "maps.h5.journal"));
}

TEST(Resume, KilledFitResumesToTheSameBits) { expect_killed_fit_resumes("", "one process"); }

TEST(Resume, KilledMpiFitResumesToTheSameBits) {
  REQUIRE_MPI();
  expect_killed_fit_resumes(mpirun(2), "2 MPI ranks");
}

// A journal of another job that holds finished units is refused, naming the setting that differs; one without
// any finished unit has nothing to lose and is discarded.
TEST(Resume, JournalOfAnotherCommandIsRefusedOnlyWhenItHoldsWork) {
  ScratchDir dir;
  simulate(dir, "stack.h5", "--shape 20x16x16");
  const std::string out = dir / "maps.h5";
  runtime::Journal::prepare(out, R"({"t0_ps":-1.0})", false);
  runtime::Journal(out, R"({"t0_ps":-1.0})", 0).append(0, std::vector<std::byte>(8));
  const CommandResult r = run_xpulse("fit " + dir / "stack.h5" + " --out " + out + " --resume", dir);
  expect_input_error(r, "journal '" + out + ".journal' belongs to a different job: the setting ");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::exists(out + ".journal")) << "a journal holding work was deleted";

  fs::remove_all(out + ".journal");
  runtime::Journal::prepare(out, R"({"t0_ps":-1.0})", false);
  runtime::Journal(out, R"({"t0_ps":-1.0})", 0);  // header only: a run killed before its first unit
  EXPECT_EQ(run_xpulse("fit " + dir / "stack.h5" + " --out " + out + " --resume", dir).exit_code, 0);
  EXPECT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".journal"));
}

}  // namespace
}  // namespace xpulse::testing
