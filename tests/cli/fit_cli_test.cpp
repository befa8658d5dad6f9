// `xpulse fit` on real files: the bad-input contract and per-pixel non-finite handling.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "cli_harness.h"
#include "io/hdf5.h"
#include "pipelines/pumpprobe_simulate.h"
#include "runtime/devices.h"

namespace xpulse::testing {
namespace {

namespace fs = std::filesystem;

// A small stack written directly, so each test can break one thing.
struct Stack {
  std::size_t n = 20, ny = 6, nx = 5;
  std::vector<double> delays;
  std::vector<float> data;
  Stack() {
    for (std::size_t k = 0; k < n; ++k) delays.push_back(-1.0 + 0.25 * static_cast<double>(k));
    data.resize(n * ny * nx);
    for (std::size_t k = 0; k < n; ++k) {
      for (std::size_t i = 0; i < ny * nx; ++i) {
        const double t = std::max(0.0, delays[k]);
        data[k * ny * nx + i] = static_cast<float>(100.0 + 20.0 * std::exp(-0.1 * t) * std::cos(2.0 * M_PI * 0.6 * t));
      }
    }
  }
  void write(const std::string& path) const {
    io::Writer w(path);
    w.write<float>("/entry_1/data_1/data", data, std::vector<std::size_t>{n, ny, nx});
    w.write<double>("/entry_1/data_1/delay", delays, std::vector<std::size_t>{delays.size()}, "ps");
    w.close();
  }
};

class FitCli : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string input = dir / "in.h5";
  std::string output = dir / "out.h5";
  void expect_no_output() const {
    EXPECT_FALSE(fs::exists(output));
    EXPECT_FALSE(fs::exists(output + ".partial"));
  }
  CommandResult fit(const std::string& extra = "") {
    return run_xpulse("fit " + input + " --out " + output + " " + extra, dir);
  }
};

TEST_F(FitCli, MissingFile) {
  const auto r = fit();
  expect_input_error(r, "input file '" + input + "' does not exist");
  expect_no_output();
}

TEST_F(FitCli, MissingDataset) {
  Stack().write(input);
  const auto r = fit("--data /entry_1/data_1/nothing");
  expect_input_error(r, "dataset '/entry_1/data_1/nothing' not found");
  expect_no_output();
}

TEST_F(FitCli, TwoDimensionalData) {
  Stack s;
  io::Writer w(input);
  w.write<float>("/entry_1/data_1/data", std::vector<float>(s.ny * s.nx, 1.0f), std::vector<std::size_t>{s.ny, s.nx});
  w.write<double>("/entry_1/data_1/delay", s.delays, std::vector<std::size_t>{s.n});
  w.close();
  expect_input_error(fit(), "has rank 2 [6, 5]; expected 3 dimensions [delay, y, x]");
  expect_no_output();
}

TEST_F(FitCli, NonNumericData) {
  Stack s;
  s.write(input);
  {  // replace the delays by a string attribute-only group: a dataset that is not numeric
    io::Writer w(dir / "text.h5");
    w.write<float>("/entry_1/data_1/data", s.data, std::vector<std::size_t>{s.n, s.ny, s.nx});
    w.close();
  }
  const hid_t f = H5Fopen((dir / "text.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, 4);
  const hsize_t dims[1] = {s.n};
  const hid_t space = H5Screate_simple(1, dims, nullptr);
  const hid_t d = H5Dcreate2(f, "/entry_1/data_1/delay", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(d);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(f);
  const auto r = run_xpulse("fit " + (dir / "text.h5") + " --out " + output, dir);
  expect_input_error(r, "delays '/entry_1/data_1/delay' must be a 1-D numeric array, found non-numeric [20]");
  expect_no_output();
}

TEST_F(FitCli, DelayCountMismatch) {
  Stack s;
  s.delays.resize(15);
  s.write(input);
  expect_input_error(fit(), "delays '/entry_1/data_1/delay' have 15 values but '/entry_1/data_1/data' has 20 delays");
  expect_no_output();
}

TEST_F(FitCli, NonMonotonicDelays) {
  Stack s;
  std::swap(s.delays[10], s.delays[11]);
  s.write(input);
  expect_input_error(fit(), "delays must be strictly increasing: delay[11] = 1.5 ps follows delay[10] = 1.75 ps (decreasing)");
  expect_no_output();
}

TEST_F(FitCli, DuplicateDelays) {
  Stack s;
  s.delays[12] = s.delays[11];
  s.write(input);
  expect_input_error(fit(), "(duplicate)");
  expect_no_output();
}

TEST_F(FitCli, NaNDelay) {
  Stack s;
  s.delays[3] = std::numeric_limits<double>::quiet_NaN();
  s.write(input);
  expect_input_error(fit(), "delays: value nan at index 3 is not finite");
  expect_no_output();
}

TEST_F(FitCli, TooFewDelaysAfterT0) {
  Stack().write(input);  // delays -1 .. 3.75 ps in 0.25 ps steps
  expect_input_error(fit("--t0 2.3"), "only 6 delays at or after t0 = 2.3 ps; the fit needs at least 8");
  expect_no_output();
}

TEST_F(FitCli, MaskShapeMismatch) {
  Stack s;
  s.write(input);
  {
    io::Writer w(dir / "m.h5");
    w.write<float>("/entry_1/data_1/data", s.data, std::vector<std::size_t>{s.n, s.ny, s.nx});
    w.write<double>("/entry_1/data_1/delay", s.delays, std::vector<std::size_t>{s.n});
    w.write<std::uint32_t>("/entry_1/data_1/mask", std::vector<std::uint32_t>(4 * 5, 0), std::vector<std::size_t>{4, 5});
    w.close();
  }
  const auto r = run_xpulse("fit " + (dir / "m.h5") + " --out " + output, dir);
  expect_input_error(r, "mask '/entry_1/data_1/mask' has shape [4, 5], but the data frames are [6, 5]");
  expect_no_output();
}

TEST_F(FitCli, NamedMaskMissing) {
  Stack().write(input);
  expect_input_error(fit("--mask /entry_1/data_1/bad_pixels"), "dataset '/entry_1/data_1/bad_pixels' not found");
  expect_no_output();
}

TEST_F(FitCli, AllNaNData) {
  Stack s;
  std::fill(s.data.begin(), s.data.end(), std::numeric_limits<float>::quiet_NaN());
  s.write(input);
  expect_input_error(fit(), "has no finite values after t0 in any unmasked pixel (all NaN/Inf)");
  expect_no_output();
}

TEST_F(FitCli, EmptyData) {
  Stack s;
  io::Writer w(input);
  w.write<float>("/entry_1/data_1/data", std::vector<float>{}, std::vector<std::size_t>{0, s.ny, s.nx});
  w.write<double>("/entry_1/data_1/delay", std::vector<double>{}, std::vector<std::size_t>{0});
  w.close();
  expect_input_error(fit(), "dataset '/entry_1/data_1/data' is empty [0, 6, 5]");
  expect_no_output();
}

TEST_F(FitCli, TruncatedFile) {
  pipelines::SimulateRequest sim;
  sim.out = dir / "full.h5";
  sim.options.n_delay = 40;
  sim.options.ny = 32;
  sim.options.nx = 32;
  sim.chunks = "none";
  pipelines::simulate_pump_probe_file(sim);
  const auto size = fs::file_size(sim.out);
  fs::copy_file(sim.out, input);
  fs::resize_file(input, size / 2);
  expect_input_error(fit(), "cannot open HDF5 file '" + input + "' (truncated or damaged?)");
  expect_no_output();
}

TEST_F(FitCli, NotAnHdf5File) {
  std::ofstream(input) << "delay,intensity\n0,1\n";
  expect_input_error(fit(), "input file '" + input + "' is not an HDF5 file");
  expect_no_output();
}

TEST_F(FitCli, EmptyFile) {
  std::ofstream(input).flush();
  expect_input_error(fit(), "input file '" + input + "' is empty");
  expect_no_output();
}

TEST_F(FitCli, OutputDirectoryMissing) {
  Stack().write(input);
  const auto r = run_xpulse("fit " + input + " --out " + (dir / "no/such/dir/out.h5"), dir);
  expect_input_error(r, "output directory '" + (dir / "no/such/dir") + "' does not exist");
  EXPECT_FALSE(fs::exists(dir / "no"));
}

TEST_F(FitCli, OutputDirectoryIsAFile) {
  Stack().write(input);
  std::ofstream(dir / "plain").flush();
  const auto r = run_xpulse("fit " + input + " --out " + (dir / "plain/out.h5"), dir);
  expect_input_error(r, "output directory '" + (dir / "plain") + "' is not a directory");
}

TEST_F(FitCli, OutputDirectoryNotWritable) {
  Stack().write(input);
  // /proc refuses new files even for root, unlike a chmod-ed directory.
  const auto r = run_xpulse("fit " + input + " --out /proc/xpulse_out.h5", dir);
  expect_input_error(r, "cannot write output '/proc/xpulse_out.h5'");
}

TEST_F(FitCli, ZeroTile) {
  Stack().write(input);
  expect_input_error(fit("--tile 0x16"), "--tile '0x16' is not a shape of 2 positive integers");
  expect_no_output();
}

TEST_F(FitCli, ZeroThreads) {
  Stack().write(input);
  expect_input_error(fit("--threads 0"), "--threads must be >= 1");
  expect_no_output();
}

TEST_F(FitCli, UnknownModel) {
  Stack().write(input);
  expect_input_error(fit("--model lorentzian"), "--model 'lorentzian' is not known");
  expect_no_output();
}

TEST_F(FitCli, MissingOutFlag) {
  Stack().write(input);
  const auto r = run_xpulse("fit " + input, dir);
  expect_input_error(r, "--out is required");
}

TEST_F(FitCli, NonFiniteTracesAreFlaggedAndTheRestFit) {
  Stack s;
  const std::size_t frame = s.ny * s.nx;
  s.data[12 * frame + 7] = std::numeric_limits<float>::quiet_NaN();
  s.data[15 * frame + 9] = std::numeric_limits<float>::infinity();
  s.write(input);
  const auto r = fit();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  io::Reader out(output);
  const auto status = out.read<std::uint8_t>("/fit/status");
  const auto frequency = out.read<float>("/fit/frequency");
  for (std::size_t i = 0; i < frame; ++i) {
    if (i == 7 || i == 9) {
      EXPECT_EQ(status[i], 5) << i;  // non_finite_input
      EXPECT_TRUE(std::isnan(frequency[i]));
    } else {
      EXPECT_EQ(status[i], 0) << i;
      EXPECT_NEAR(frequency[i], 0.6, 1e-5) << i;
    }
  }
  EXPECT_FALSE(fs::exists(output + ".partial"));
}

TEST_F(FitCli, ProgressReportsPixelsRateAndEta) {
  Stack().write(input);
  const auto r = fit("--progress --tile 2x5");  // 6x5 pixels
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("fit: 30/30 pixels (100.0%)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pixels/s, ETA"), std::string::npos) << r.err;
  const auto quiet = fit();  // stderr is not a terminal here: no progress without the flag
  EXPECT_EQ(quiet.err, "");
  EXPECT_NE(quiet.out.find("100.00% converged"), std::string::npos) << quiet.out;
}

TEST(Cli, VersionAndHelp) {
  ScratchDir dir;
  auto r = run_xpulse("--version", dir);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("xpulse ", 0), 0u) << r.out;
  r = run_xpulse("fit --help", dir);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* needle : {"THz", "1/ps", "--tile", "16x16", "0=converged", "5=non_finite_input", "--t0"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle;
  }
  r = run_xpulse("simulate pump-probe --help", dir);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* needle : {"200x256x256", "-1:10", "photons", "ps"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle;
  }
  r = run_xpulse("", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("xpulse: error: ", 0), 0u) << r.err;
}

}  // namespace
}  // namespace xpulse::testing

namespace xpulse::testing {
namespace {

// --device and --gpus (the CUDA backend itself is tested in tests/fit/cuda_backend_test.cpp where a GPU is).
TEST_F(FitCli, UnknownDevice) {
  Stack().write(input);
  expect_input_error(fit("--device gpu"), "--device 'gpu' is not known; use cpu, cuda or auto");
  EXPECT_FALSE(fs::exists(output));
}

TEST_F(FitCli, GpusNeedTheCudaDevice) {
  Stack().write(input);
  expect_input_error(fit("--device cpu --gpus 0"), "--gpus applies to --device cuda or auto");
  expect_input_error(fit("--device cuda --gpus 0,x"), "--gpus '0,x' is not a list of device numbers such as 0,1");
  expect_input_error(fit("--device cuda --gpus 1,1"), "--gpus '1,1' names device 1 twice");
}

TEST_F(FitCli, CudaWithoutADeviceIsAnErrorAndAutoRunsOnTheCpu) {
  Stack().write(input);
  if (runtime::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present: the CUDA tests cover it";
  const auto r = fit("--device cuda");
  expect_input_error(r, "--device cuda: " + runtime::cuda_unavailable_reason() + "; use --device cpu or auto");
  EXPECT_FALSE(fs::exists(output));
  EXPECT_FALSE(fs::exists(output + ".partial"));
  const auto a = fit("--device auto --threads 2");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  // auto says why it ran on the CPU.
  EXPECT_NE(a.out.find("fits/s on cpu (2 threads; no GPU: " + runtime::cuda_unavailable_reason() + ")"),
            std::string::npos)
      << a.out;
}

TEST_F(FitCli, AutoSaysWhichDeviceRan) {
  Stack().write(input);
  const auto a = fit("--device auto");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const bool gpu = runtime::cuda_device_count() > 0;
  EXPECT_NE(a.out.find(gpu ? "fits/s on cuda: GPU 0 " : "fits/s on cpu ("), std::string::npos) << a.out;
}

}  // namespace
}  // namespace xpulse::testing
