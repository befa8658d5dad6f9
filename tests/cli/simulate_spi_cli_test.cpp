// `xpulse simulate spi`: file layout and the bad-input contract.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "cli_harness.h"
#include "io/hdf5.h"

namespace xpulse::testing {
namespace {

namespace fs = std::filesystem;

class SimulateSpiCli : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string output = dir / "spi.h5";
  std::string pdb = XPULSE_TEST_DATA "/2cex.pdb";
  CommandResult simulate(const std::string& extra) {
    return run_xpulse("simulate spi --out " + output + " " + extra, dir);
  }
  void expect_no_output() const {
    EXPECT_FALSE(fs::exists(output));
    EXPECT_FALSE(fs::exists(output + ".partial"));
  }
};

TEST_F(SimulateSpiCli, WritesImagesGeometryAndTruth) {
  const auto r = simulate("--pdb " + pdb + " --images 5 --pixels 16 --grid 11 --seed 2 --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote"), std::string::npos);
  io::Reader f(output);
  EXPECT_EQ(f.info("/entry_1/data_1/data").dims, (std::vector<std::size_t>{5, 16, 16}));
  EXPECT_EQ(f.string_attribute("/entry_1/data_1/data", "units"), "photons");
  EXPECT_EQ(f.info("/entry_1/instrument_1/detector_1/q").dims, (std::vector<std::size_t>{16, 16, 3}));
  EXPECT_EQ(f.string_attribute("/entry_1/instrument_1/detector_1/q", "units"), "1/angstrom");
  EXPECT_EQ(f.info("/truth/orientations").dims, (std::vector<std::size_t>{5, 4}));
  EXPECT_EQ(f.info("/truth/intensity").dims, (std::vector<std::size_t>{11, 11, 11}));
  EXPECT_EQ(f.info("/truth/density").dims, (std::vector<std::size_t>{11, 11, 11}));
  EXPECT_DOUBLE_EQ(f.read_scalar("/entry_1/instrument_1/source_1/energy"), 4600.0);
  EXPECT_FALSE(f.string_attribute("/", "input_files").empty());
  const auto images = f.read<float>("/entry_1/data_1/data");
  double total = 0;
  for (float v : images) total += v;
  EXPECT_GT(total, 0.0);
}

TEST_F(SimulateSpiCli, BadInputIsOneLineAndNoOutput) {
  expect_input_error(simulate("--pdb " + (dir / "none.pdb")), "cannot open PDB file '" + (dir / "none.pdb") + "'");
  const std::string empty = dir / "empty.pdb";
  std::ofstream(empty) << "HEADER\nEND\n";
  expect_input_error(simulate("--pdb " + empty), "has no ATOM or HETATM records");
  const std::string truncated = dir / "truncated.pdb";
  std::ofstream(truncated) << "ATOM      1  CA  GLY A   1      11.104  6.134\n";
  expect_input_error(simulate("--pdb " + truncated), "z coordinate '' is not a number");
  expect_input_error(simulate("--pdb " + pdb + " --grid 10"), "--grid must be odd and >= 5, got 10");
  expect_input_error(simulate("--pdb " + pdb + " --photons 0"), "--photons must be > 0, got 0");
  expect_input_error(simulate("--pdb " + pdb + " --energy nan"), "--energy must be > 0, got nan");
  expect_input_error(simulate("--pdb " + pdb + " --images 0"), "--images must be >= 1");
  expect_no_output();
}

}  // namespace
}  // namespace xpulse::testing
