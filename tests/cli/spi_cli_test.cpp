// `xpulse spi reconstruct` and `xpulse spi score`: the end-to-end acceptance run (simulate, reconstruct from
// random orientations, score against the truth), resumption of a killed run, and the bad-input contract.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "cli_harness.h"
#include "hdf5_compare.h"
#include "io/hdf5.h"
#include "runtime/devices.h"
#include "kill_part_way.h"
#include "mpi_launch.h"

namespace xpulse::testing {
namespace {

namespace fs = std::filesystem;

double number_after(const std::string& text, const std::string& label) {
  // "FSC 0.5 at better than 10.0 A": the curve never fell below 0.5, so the resolution is at least that.
  const std::regex pattern(label + R"(\s*(?:better than\s*)?([-+0-9.eE]+))");
  std::smatch m;
  if (!std::regex_search(text, m, pattern)) return NAN;
  return std::stod(m[1]);
}

// The acceptance run: 2cex, 64x64 pixels, 2000 images, 31^3 grid, 10 generations from random orientations, with
// the reconstruction started by `launcher` ("" or mpirun).
void expect_reconstruction_matches_truth(const std::string& launcher, int threads) {
  ScratchDir dir;
  const std::string sim = dir / "sim.h5", rec = dir / "rec.h5", score = dir / "score.h5";
  auto r = run_xpulse("simulate spi --pdb " XPULSE_TEST_DATA "/2cex.pdb --out " + sim +
                          " --images 2000 --pixels 64 --grid 31 --photons 1e15 --seed 1 --threads 2",
                      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_xpulse_with(launcher, "spi reconstruct " + sim + " --out " + rec +
                                    " --grid 31 --generations 10 --orientations 4000 --threads " +
                                    std::to_string(threads),
                      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("10 generations (0 resumed)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("xpulse spi reconstruct:"), r.out.rfind("xpulse spi reconstruct:")) << "printed twice";
  EXPECT_TRUE(fs::exists(dir / "rec.mrc"));
  EXPECT_EQ(fs::file_size(dir / "rec.mrc"), 1024u + 31u * 31u * 31u * 4u);
  {
    io::Reader f(rec);
    EXPECT_EQ(f.info("/reconstruction/density").dims, (std::vector<std::size_t>{31, 31, 31}));
    EXPECT_EQ(f.info("/reconstruction/orientations").dims, (std::vector<std::size_t>{2000, 4}));
    EXPECT_EQ(f.info("/history/merge_seconds").dims, (std::vector<std::size_t>{10}));
    EXPECT_EQ(f.string_attribute("/history/merge_seconds", "units"), "s");
    EXPECT_GT(*f.numeric_attribute("/reconstruction", "voxel_size"), 4.0);
  }
  r = run_xpulse("spi score " + rec + " --truth " + sim + " --out " + score + " --threads 2", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double cc = number_after(r.out, "CC"), resolution = number_after(r.out, "FSC 0.5 at"),
               edge = number_after(r.out, "detector edge");
  std::printf("%s", r.out.substr(0, r.out.find('\n') + 1).c_str());
  EXPECT_GE(cc, 0.8) << r.out;
  EXPECT_LE(resolution, 1.5 * edge) << r.out;
  EXPECT_NEAR(edge, 13.9, 0.1);  // 8 cm detector at 0.2 m, 4.6 keV, 64 pixels
  io::Reader s(score);
  EXPECT_NEAR(s.read_scalar("/score/cc"), cc, 1e-3);
}

TEST(SpiCli, ReconstructionFromRandomOrientationsMatchesTheTruth) { expect_reconstruction_matches_truth("", 2); }

// Two ranks share the images. Rank 0 adds the ranks' merging sums in another order than one process does, and
// phasing amplifies last-bit differences (sqrt of near-zero intensities, HIO), so the result differs from the
// single-process one in detail; it must meet the same acceptance.
TEST(SpiCli, ReconstructionOnTwoRanksMatchesTheTruth) {
  REQUIRE_MPI();
  expect_reconstruction_matches_truth(mpirun(2), 1);
}

class SpiReconstructCli : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string input = dir / "sim.h5";
  std::string output = dir / "rec.h5";

  void SetUp() override {
    const auto r = run_xpulse("simulate spi --pdb " XPULSE_TEST_DATA "/2cex.pdb --out " + input +
                                  " --images 300 --pixels 16 --grid 11 --photons 1e15 --seed 5 --threads 2",
                              dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static constexpr const char* kOptions = "--grid 11 --generations 2 --orientations 300";
  CommandResult reconstruct(const std::string& file, const std::string& options = kOptions) {
    return run_xpulse("spi reconstruct " + file + " --out " + output + " --threads 2 " + options, dir);
  }
  void expect_no_output() const {
    EXPECT_FALSE(fs::exists(output));
    EXPECT_FALSE(fs::exists(output + ".partial"));
    EXPECT_FALSE(fs::exists(dir / "rec.mrc"));
  }
  // A copy of the simulation's inputs with one dataset replaced (or left out when values is empty).
  std::string variant(const std::string& name, const std::string& replaced, const std::vector<float>& values,
                      const std::vector<std::size_t>& dims) {
    io::Reader in(input);
    const std::string path = dir / name;
    io::Writer w(path);
    const std::string det = "/entry_1/instrument_1/detector_1/";
    for (const std::string& d : {std::string("/entry_1/data_1/data"), det + "q", det + "polarization",
                                 det + "solid_angle"}) {
      if (d == replaced) {
        if (!dims.empty()) w.write<float>(d, values, dims);
        continue;
      }
      w.write<float>(d, in.read<float>(d), in.info(d).dims);
    }
    w.close();
    return path;
  }
};

// A bad image in rank 1's share stops both ranks with one message, and no output is left; a good run on two
// ranks writes the usual output once.
TEST_F(SpiReconstructCli, TwoRanksStopTogetherOnBadImagesAndOtherwiseFinish) {
  REQUIRE_MPI();
  std::vector<float> nan_images(300 * 256, 1.0f);
  nan_images[280 * 256 + 7] = NAN;
  const std::string bad = variant("nan.h5", "/entry_1/data_1/data", nan_images, {300, 16, 16});
  expect_input_error(run_xpulse_with(mpirun(2), "spi reconstruct " + bad + " --out " + output + " --threads 1 " + kOptions, dir),
                     "image 280 pixel 7 holds nan: counts must be finite and >= 0");
  expect_no_output();
  const CommandResult r =
      run_xpulse_with(mpirun(2), "spi reconstruct " + input + " --out " + output + " --threads 1 " + kOptions, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("xpulse spi reconstruct:"), r.out.rfind("xpulse spi reconstruct:")) << r.out;
  io::Reader f(output);
  EXPECT_EQ(f.info("/reconstruction/orientations").dims, (std::vector<std::size_t>{300, 4}));
  EXPECT_EQ(f.info("/history/generation").dims, (std::vector<std::size_t>{2}));
  EXPECT_FALSE(fs::exists(output + ".journal"));
}

TEST_F(SpiReconstructCli, KilledRunResumesToTheSameResult) {
  const std::string whole = dir / "whole.h5";
  const std::string common = " --grid 11 --generations 4 --threads 2 --seed 9", args = common + " --orientations 300";
  ASSERT_EQ(run_xpulse("spi reconstruct " + input + " --out " + whole + args, dir).exit_code, 0);
  const std::size_t journaled = kill_part_way(std::string(XPULSE_BINARY) + " spi reconstruct " + input + " --out " +
                                                  output + args + " >" + dir / "killed.txt 2>&1",
                                              output, 1);
  ASSERT_GE(journaled, 1u) << "the run ended before it could be killed: " << slurp(dir / "killed.txt");
  EXPECT_FALSE(fs::exists(output)) << "output under its final name before completion";
  expect_input_error(run_xpulse("spi reconstruct " + input + " --out " + output + args, dir), "rerun with --resume");
  // A different job's journal is refused.
  expect_input_error(run_xpulse("spi reconstruct " + input + " --out " + output + common + " --orientations 301 --resume", dir),
                     "belongs to a different job");
  const auto r = run_xpulse("spi reconstruct " + input + " --out " + output + args + " --resume", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("(0 resumed)"), std::string::npos) << r.out;
  for (const std::string d : {"/reconstruction/density", "/reconstruction/orientations", "/reconstruction/scales",
                              "/history/support", "/history/lambda"}) {
    EXPECT_EQ(dataset_bytes(whole, d), dataset_bytes(output, d)) << d;
  }
  EXPECT_FALSE(fs::exists(output + ".journal"));
}

TEST_F(SpiReconstructCli, BadInputIsOneLineAndNoOutput) {
  const std::string det = "/entry_1/instrument_1/detector_1/";
  expect_input_error(reconstruct(dir / "none.h5"), "none.h5");
  expect_no_output();
  expect_input_error(reconstruct(variant("noq.h5", det + "q", {}, {})), "'" + det + "q'");
  expect_no_output();
  expect_input_error(reconstruct(variant("rank2.h5", "/entry_1/data_1/data", std::vector<float>(256, 1.0f), {16, 16})),
                     "'/entry_1/data_1/data' in '" + (dir / "rank2.h5") + "' has rank 2; expected 3");
  std::vector<float> nan_images(300 * 256, 1.0f);
  nan_images[1000] = NAN;
  expect_input_error(reconstruct(variant("nan.h5", "/entry_1/data_1/data", nan_images, {300, 16, 16})),
                     "image 3 pixel 232 holds nan: counts must be finite and >= 0");
  expect_input_error(reconstruct(variant("empty.h5", "/entry_1/data_1/data", {}, {0, 16, 16})), "is empty");
  expect_input_error(reconstruct(variant("shape.h5", det + "polarization", std::vector<float>(64, 1.0f), {8, 8})),
                     "does not have the images' shape [16, 16]");
  const std::string truncated = dir / "truncated.h5";
  fs::copy_file(input, truncated);
  fs::resize_file(truncated, fs::file_size(truncated) / 2);
  expect_input_error(reconstruct(truncated), "truncated");
  expect_no_output();
  expect_input_error(reconstruct(input, "--grid 10"), "--grid must be odd and >= 7, got 10");
  expect_input_error(reconstruct(input, "--grid 11 --generations 0"), "--generations must be >= 1, got 0");
  expect_input_error(reconstruct(input, std::string(kOptions) + " --lambdas 1e-3,x"), "--lambdas: 'x' is not a number");
  expect_input_error(reconstruct(input, std::string(kOptions) + " --lambdas=-1"), "--lambdas must be > 0, got -1");
  expect_input_error(reconstruct(input, std::string(kOptions) + " --phasing 10XY"), "phasing schedule: unknown step at '10xy'");
  expect_input_error(reconstruct(input, std::string(kOptions) + " --device tpu"), "--device must be auto, cpu or cuda, got 'tpu'");
  if (runtime::cuda_device_count() == 0) {
    expect_input_error(reconstruct(input, std::string(kOptions) + " --device cuda"),
                       "--device cuda: no CUDA device can be used (");
  }
  expect_no_output();
}

TEST_F(SpiReconstructCli, ScoreBadInputIsOneLine) {
  expect_input_error(run_xpulse("spi score " + (dir / "none.h5") + " --truth " + input, dir), "none.h5");
  // The simulation is not a reconstruction.
  expect_input_error(run_xpulse("spi score " + input + " --truth " + input, dir), "/reconstruction/density");
  ASSERT_EQ(reconstruct(input).exit_code, 0);
  expect_input_error(run_xpulse("spi score " + output + " --truth " + output, dir), "/truth/density");
  expect_input_error(run_xpulse("spi score " + output + " --truth " + input + " --rotations 0", dir),
                     "--rotations must be >= 1");
  const auto r = run_xpulse("spi score " + output + " --truth " + input + " --rotations 50", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("FSC 0.5 at"), std::string::npos);
}

}  // namespace
}  // namespace xpulse::testing
