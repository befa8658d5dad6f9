// `xpulse dispersion` and `xpulse spectra` on real files: results that must hold and the bad-input contract.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "cli_harness.h"
#include "io/hdf5.h"

namespace xpulse::testing {
namespace {

namespace fs = std::filesystem;

// One small simulated stack and its fit, shared by the tests of this file run in one process.
class PhononCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Per process: ctest runs every test as its own process, in parallel.
    const fs::path d = fs::temp_directory_path() / ("xpulse_phonon_cli_" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    shared_ = d.string();
    const std::string x = XPULSE_BINARY;
    ASSERT_EQ(std::system((x + " simulate pump-probe --out " + sim() + " --shape 120x40x48 --seed 3 >/dev/null").c_str()), 0);
    ASSERT_EQ(std::system((x + " fit " + sim() + " --out " + fit() + " >/dev/null").c_str()), 0);
  }
  static void TearDownTestSuite() { fs::remove_all(shared_); }
  static std::string sim() { return shared_ + "/sim.h5"; }
  static std::string fit() { return shared_ + "/fit.h5"; }

  ScratchDir dir;
  std::string output = dir / "out.h5";
  void expect_no_output() const {
    EXPECT_FALSE(fs::exists(output));
    EXPECT_FALSE(fs::exists(output + ".partial"));
  }
  std::string toml(const std::string& text) const {
    const std::string p = dir / "geometry.toml";
    std::ofstream(p) << text;
    return p;
  }
  // Detector and energy but no sample.
  std::string complete_detector_toml() const {
    return toml("[detector]\ndistance = 0.1\npixel_size = 1e-4\nbeam_center_x = 2\nbeam_center_y = 2\n"
                "[source]\nenergy = 9000\n");
  }
  // A stack with no geometry at all.
  std::string bare_stack(std::size_t delays = 16) const {
    const std::string p = dir / "bare.h5";
    io::Writer w(p);
    w.write<float>("/entry_1/data_1/data", std::vector<float>(delays * 4 * 5, 1.0f),
                   std::vector<std::size_t>{delays, 4, 5});
    std::vector<double> t(delays);
    for (std::size_t i = 0; i < delays; ++i) t[i] = 0.1 * static_cast<double>(i);
    w.write<double>("/entry_1/data_1/delay", t, std::vector<std::size_t>{delays});
    w.close();
    return p;
  }
  static std::string shared_;
};
std::string PhononCli::shared_;

TEST_F(PhononCli, DispersionWritesBinsWithUnits) {
  const CommandResult r = run_xpulse("dispersion " + fit() + " --out " + output + " --q-bins 12", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("binned by |q - G| in 12 bins"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("geometry: " + sim()), std::string::npos) << r.out;  // found through the fit's provenance
  const io::Reader in(output);
  for (const std::string name : {"q", "frequency", "frequency_err", "count", "truth_frequency"}) {
    EXPECT_EQ(in.info("/dispersion/" + name).dims, std::vector<std::size_t>{12}) << name;
  }
  EXPECT_EQ(in.string_attribute("/dispersion/frequency", "units"), "THz");
  EXPECT_EQ(in.string_attribute("/dispersion/q", "units"), "1/angstrom");
  EXPECT_EQ(in.info("/maps/hkl").dims, (std::vector<std::size_t>{40, 48, 3}));
  EXPECT_EQ(in.numeric_attribute("/dispersion", "harmonic"), 2.0);
  // Each populated bin agrees with the truth binned over the same pixels.
  const auto f = in.read<double>("/dispersion/frequency"), t = in.read<double>("/dispersion/truth_frequency");
  const auto n = in.read<double>("/dispersion/count");
  int populated = 0;
  for (std::size_t b = 0; b < f.size(); ++b) {
    if (n[b] < 20) continue;
    ++populated;
    EXPECT_NEAR(f[b] / t[b], 1.0, 0.02) << "bin " << b;
  }
  EXPECT_GE(populated, 6);
}

TEST_F(PhononCli, HarmonicOneDoublesTheFrequencies) {
  ASSERT_EQ(run_xpulse("dispersion " + fit() + " --out " + output, dir).exit_code, 0);
  const std::string other = dir / "h1.h5";
  ASSERT_EQ(run_xpulse("dispersion " + fit() + " --out " + other + " --harmonic 1", dir).exit_code, 0);
  const auto f2 = io::Reader(output).read<double>("/dispersion/frequency");
  const auto f1 = io::Reader(other).read<double>("/dispersion/frequency");
  for (std::size_t b = 0; b < f1.size(); ++b) {
    if (std::isfinite(f1[b])) {
      EXPECT_NEAR(f1[b], 2 * f2[b], 1e-12 * f1[b]);
    }
  }
}

TEST_F(PhononCli, SpectraAreTheSameForAnyThreadCount) {
  ASSERT_EQ(run_xpulse("spectra " + sim() + " --out " + output + " --threads 1", dir).exit_code, 0);
  const std::string other = dir / "t2.h5";
  ASSERT_EQ(run_xpulse("spectra " + sim() + " --out " + other + " --threads 2", dir).exit_code, 0);
  for (const std::string name : {"/spectra/intensity", "/maps/peak_frequency"}) {
    const auto a = io::Reader(output).read<float>(name), b = io::Reader(other).read<float>(name);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << name;  // bit for bit, NaN included
  }
}

TEST_F(PhononCli, FitFileWithoutFit) {
  expect_input_error(run_xpulse("dispersion " + sim() + " --out " + output, dir),
                     "'" + sim() + "' has no /fit/frequency and /fit/status: not an output of 'xpulse fit'");
  expect_no_output();
}

TEST_F(PhononCli, MissingFitFile) {
  expect_input_error(run_xpulse("dispersion " + (dir / "none.h5") + " --out " + output, dir), "does not exist");
  expect_no_output();
}

TEST_F(PhononCli, HarmonicZero) {
  expect_input_error(run_xpulse("dispersion " + fit() + " --out " + output + " --harmonic 0", dir),
                     "--harmonic must be a positive integer");
  expect_no_output();
}

TEST_F(PhononCli, GeometryMissingDistance) {
  const std::string g = toml("[detector]\npixel_size = 1e-4\nbeam_center_x = 2\nbeam_center_y = 2\n[source]\nenergy = 9000\n");
  expect_input_error(run_xpulse("dispersion " + fit() + " --data " + bare_stack() + " --geometry " + g + " --out " +
                                    output + " --min-snr 0",
                                dir),
                     "geometry: detector distance is missing");
  expect_no_output();
}

TEST_F(PhononCli, GeometryMissingEnergy) {
  const std::string g = toml("[detector]\ndistance = 0.1\npixel_size = 1e-4\nbeam_center_x = 2\nbeam_center_y = 2\n");
  expect_input_error(run_xpulse("spectra " + bare_stack() + " --geometry " + g + " --out " + output, dir),
                     "geometry: photon energy is missing");
  expect_no_output();
}

TEST_F(PhononCli, GeometryTypo) {
  const std::string g = toml("[detector]\ndistence = 0.1\n");
  expect_input_error(run_xpulse("dispersion " + fit() + " --geometry " + g + " --out " + output, dir),
                     "unknown key 'distence' in [detector]");
  expect_no_output();
}

TEST_F(PhononCli, BadPathAndStatus) {
  expect_input_error(run_xpulse("dispersion " + fit() + " --out " + output + " --path \"G K\"", dir),
                     "--path point 'K' is neither a label");
  expect_input_error(run_xpulse("dispersion " + fit() + " --out " + output + " --status good", dir),
                     "--status 'good' is not a fit status");
  expect_no_output();
}

TEST_F(PhononCli, PathWithoutSample) {
  const std::string g = complete_detector_toml();
  expect_input_error(run_xpulse("spectra " + bare_stack() + " --geometry " + g + " --path \"G X\" --out " + output, dir),
                     "--path needs the sample's unit cell and orientation");
  expect_no_output();
}

TEST_F(PhononCli, NoPixelPassesTheSelection) {
  expect_input_error(run_xpulse("dispersion " + fit() + " --out " + output + " --min-snr 1e9", dir),
                     "no pixel passes the quality thresholds");
  expect_no_output();
}

TEST_F(PhononCli, SpectraWrongRank) {
  const std::string p = dir / "rank2.h5";
  {
    io::Writer w(p);
    w.write<float>("/entry_1/data_1/data", std::vector<float>(6, 1.0f), std::vector<std::size_t>{2, 3});
    w.close();
  }
  expect_input_error(run_xpulse("spectra " + p + " --out " + output, dir),
                     "dataset '/entry_1/data_1/data' has rank 2 [2, 3]; expected 3 dimensions [delay, y, x]");
  expect_no_output();
}

TEST_F(PhononCli, SpectraTooFewDelaysAfterT0) {
  expect_input_error(run_xpulse("spectra " + sim() + " --t0 9.9 --out " + output, dir),
                     "delays lie at or after t0 = 9.9 ps; a spectrum needs at least 4");
  expect_no_output();
}

TEST_F(PhononCli, SpectraTruncatedFile) {
  const std::string p = dir / "truncated.h5";
  fs::copy_file(sim(), p);
  fs::resize_file(p, fs::file_size(p) / 2);
  const CommandResult r = run_xpulse("spectra " + p + " --out " + output, dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("xpulse: error: ", 0), 0u) << r.err;
  expect_no_output();
}

TEST_F(PhononCli, SpectraNaNTracesAreLeftOut) {
  // NaN frames: every pixel's trace is non-finite, so no pixel can be used.
  const std::string p = dir / "nan.h5";
  {
    io::Writer w(p);
    w.write<float>("/entry_1/data_1/data", std::vector<float>(16 * 20, NAN), std::vector<std::size_t>{16, 4, 5});
    std::vector<double> t(16);
    for (std::size_t i = 0; i < 16; ++i) t[i] = 0.1 * static_cast<double>(i);
    w.write<double>("/entry_1/data_1/delay", t, std::vector<std::size_t>{16});
    w.close();
  }
  const std::string g = complete_detector_toml();
  expect_input_error(run_xpulse("spectra " + p + " --geometry " + g + " --out " + output, dir),
                     "no finite trace");
  expect_no_output();
}

}  // namespace
}  // namespace xpulse::testing
