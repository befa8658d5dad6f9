// `xpulse reduce` on real files: the bad-input contract.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "cli_harness.h"
#include "io/hdf5.h"
#include "../io/hdf5_test_files.h"

namespace xpulse::testing {
namespace {

namespace fs = std::filesystem;

class ReduceCli : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string input = dir / "in.h5";
  std::string output = dir / "out.h5";
  void write_frames(std::vector<std::size_t> dims, float value = 1.0f) const {
    std::size_t n = 1;
    for (std::size_t d : dims) n *= d;
    io::Writer w(input);
    w.write<float>("/entry_1/data_1/data", std::vector<float>(n, value), dims, "", dims.size() == 3
                       ? std::vector<std::size_t>{1, dims[1], dims[2]} : std::vector<std::size_t>{});
    w.close();
  }
  void expect_no_output() const {
    EXPECT_FALSE(fs::exists(output));
    EXPECT_FALSE(fs::exists(output + ".partial"));
  }
  CommandResult reduce(const std::string& extra = "") {
    return run_xpulse("reduce " + input + " --out " + output + " " + extra, dir);
  }
};

TEST_F(ReduceCli, MissingFile) {
  expect_input_error(reduce(), "input file '" + input + "' does not exist");
  expect_no_output();
}

TEST_F(ReduceCli, MissingDataset) {
  write_frames({4, 3, 2});
  expect_input_error(reduce("--data /nothing"), "dataset '/nothing' not found in '" + input + "'");
  expect_no_output();
}

TEST_F(ReduceCli, OneDimensionalData) {
  write_frames({7});
  expect_input_error(reduce(), "has rank 1; expected [frame, ...] with at least 2 dimensions");
  expect_no_output();
}

TEST_F(ReduceCli, NonNumericData) {
  {
    io::Writer w(input);
    w.attribute("/", "x", "y");
    w.close();
  }
  const hid_t f = H5Fopen(input.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hsize_t dims[2] = {3, 2};
  const hid_t space = H5Screate_simple(2, dims, nullptr);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, 4);
  H5Dclose(H5Dcreate2(f, "/entry_1/data_1/data", type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT));
  H5Tclose(type);
  H5Sclose(space);
  H5Pclose(lcpl);
  H5Fclose(f);
  expect_input_error(reduce(), "is not an integer or float32/float64 array");
  expect_no_output();
}

TEST_F(ReduceCli, NoFrames) {
  write_frames({0, 3, 2});
  expect_input_error(reduce(), "has no frames");
  expect_no_output();
}

TEST_F(ReduceCli, TruncatedFile) {
  write_frames({64, 32, 32});
  fs::resize_file(input, fs::file_size(input) / 2);
  expect_input_error(reduce(), "truncated");
  expect_no_output();
}

TEST_F(ReduceCli, NotAnHdf5File) {
  { std::ofstream(input) << "not hdf5 at all"; }
  expect_input_error(reduce(), "is not an HDF5 file");
  expect_no_output();
}

TEST_F(ReduceCli, FramesOutsideTheData) {
  write_frames({4, 3, 2});
  expect_input_error(reduce("--frames 2:9"), "--frames 2:9 is outside the 4 frames");
  expect_input_error(reduce("--frames 3:3"), "--frames '3:3' is empty");
  expect_input_error(reduce("--frames x"), "--frames 'x' must be A:B");
  expect_no_output();
}

TEST_F(ReduceCli, UnknownOp) {
  write_frames({4, 3, 2});
  expect_input_error(reduce("--op sum,median"), "--op 'median' is not known");
  expect_no_output();
}

TEST_F(ReduceCli, OutputDirectoryMissing) {
  write_frames({4, 3, 2});
  output = dir / "no/such/out.h5";
  expect_input_error(reduce(), "output directory '" + (dir / "no/such") + "' does not exist");
}

TEST_F(ReduceCli, FollowIdleWithNoFramesIsAnError) {
  write_frames({0, 3, 2});
  expect_input_error(reduce("--follow --poll 0.01 --idle-timeout 0.05"), "received no frames before the idle timeout");
  expect_no_output();
}

TEST_F(ReduceCli, NaNFramesPropagateLikeNumpy) {
  write_frames({4, 3, 2}, std::nanf(""));
  const auto r = reduce("--op sum,max");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  io::Reader out(output);
  for (double v : out.read<double>("/reduce/sum")) EXPECT_TRUE(std::isnan(v));
  for (double v : out.read<double>("/reduce/max")) EXPECT_TRUE(std::isnan(v));
  EXPECT_FALSE(out.exists("/reduce/mean"));
}

TEST_F(ReduceCli, VerboseSaysWhichDatasetsFallBackToH5Dread) {
  write_dataset(input, "/d", io::DType::f32, {4, 3, 2}, pattern(io::DType::f32, 24), {1, 3, 2},
                {{H5Z_FILTER_FLETCHER32, {}}});
  const auto quiet = reduce("--data /d");
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
  EXPECT_NE(quiet.out.find("through H5Dread (filter pipeline fletcher32 (3) is not decoded in process)"),
            std::string::npos) << quiet.out;
  const auto r = run_xpulse("--verbose reduce " + input + " --data /d --out " + output, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("xpulse: debug: '/d' in '" + input + "' is read with H5Dread"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace xpulse::testing
