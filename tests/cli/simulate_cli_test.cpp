// `xpulse simulate pump-probe`: file layout and the bad-input contract.
#include <filesystem>

#include <gtest/gtest.h>

#include "cli_harness.h"
#include "io/hdf5.h"

namespace xpulse::testing {
namespace {

namespace fs = std::filesystem;

class SimulateCli : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string output = dir / "sim.h5";
  CommandResult simulate(const std::string& extra) {
    return run_xpulse("simulate pump-probe --out " + output + " " + extra, dir);
  }
  void expect_no_output() const {
    EXPECT_FALSE(fs::exists(output));
    EXPECT_FALSE(fs::exists(output + ".partial"));
  }
};

TEST_F(SimulateCli, WritesTheInputConventionWithTruth) {
  const auto r = simulate("--shape 24x20x18 --delays -1:5 --dtype uint16 --chunks tile --nonuniform --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  io::Reader f(output);
  const auto data = f.info("/entry_1/data_1/data");
  EXPECT_EQ(data.dims, (std::vector<std::size_t>{24, 20, 18}));
  EXPECT_EQ(data.type_name(), "uint16");
  EXPECT_EQ(f.string_attribute("/entry_1/data_1/delay", "units"), "ps");
  const auto delays = f.read<double>("/entry_1/data_1/delay");
  ASSERT_EQ(delays.size(), 24u);
  EXPECT_DOUBLE_EQ(delays.front(), -1.0);
  EXPECT_DOUBLE_EQ(delays.back(), 5.0);
  for (std::size_t k = 1; k < delays.size(); ++k) EXPECT_GT(delays[k], delays[k - 1]);
  EXPECT_LT(delays[delays.size() / 2 + 1] - delays[delays.size() / 2], delays.back() - delays[delays.size() - 2]);
  for (const char* name : {"frequency", "amplitude", "damping", "phase", "offset", "q_reduced"}) {
    EXPECT_EQ(f.info(std::string("/truth/") + name).dims, (std::vector<std::size_t>{20, 18})) << name;
    EXPECT_FALSE(f.string_attribute(std::string("/truth/") + name, "units").empty()) << name;
  }
  EXPECT_EQ(f.string_attribute("/truth/frequency", "units"), "THz");
  EXPECT_EQ(f.string_attribute("/entry_1/instrument_1/source_1/energy", "units"), "eV");
  EXPECT_GT(f.read_scalar("/entry_1/instrument_1/detector_1/distance"), 0.0);
  EXPECT_EQ(f.read<double>("/entry_1/sample_1/orientation_matrix").size(), 9u);
  EXPECT_FALSE(f.string_attribute("/", "command_line").empty());
  EXPECT_FALSE(f.string_attribute("/", "created").empty());
  EXPECT_FALSE(fs::exists(output + ".partial"));
}

TEST_F(SimulateCli, BadShape) {
  expect_input_error(simulate("--shape 200x256"), "--shape '200x256' has 2 dimensions, expected 3");
  expect_no_output();
}

TEST_F(SimulateCli, TooFewDelays) {
  expect_input_error(simulate("--shape 4x8x8"), "--shape needs at least 8 delays, got 4");
  expect_no_output();
}

TEST_F(SimulateCli, BadDelayRange) {
  expect_input_error(simulate("--delays=5:1"), "--delays '5:1' must have its end after its start");
  expect_input_error(simulate("--delays=-3:-1"), "--delays must extend past t0 = 0 ps");
  expect_input_error(simulate("--delays abc"), "--delays 'abc' is not a range like -1:10");
  expect_no_output();
}

TEST_F(SimulateCli, BadChoices) {
  expect_input_error(simulate("--noise pink"), "--noise 'pink' is not known");
  expect_input_error(simulate("--dtype int8"), "--dtype 'int8' is not supported");
  expect_input_error(simulate("--chunks rows"), "--chunks 'rows' is not known");
  expect_input_error(simulate("--photons -5"), "--photons must be positive");
  expect_input_error(simulate("--threads 0"), "--threads must be >= 1");
  expect_no_output();
}

TEST_F(SimulateCli, UnwritableOutput) {
  const auto r = run_xpulse("simulate pump-probe --shape 10x4x4 --out " + (dir / "missing/sim.h5"), dir);
  expect_input_error(r, "output directory '" + (dir / "missing") + "' does not exist");
}

}  // namespace
}  // namespace xpulse::testing
