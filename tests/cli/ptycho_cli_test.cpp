// `xpulse simulate ptycho`, `xpulse ptycho reconstruct` and `xpulse ptycho score`: a noise-free scan is
// reconstructed to the truth; thread counts give the same bits and 1 and 2 MPI ranks agree within 1e-5; every bad
// input is one line, exit 2, and no output.
#include <cmath>
#include <filesystem>
#include <regex>

#include <gtest/gtest.h>

#include "cli_harness.h"
#include "hdf5_compare.h"
#include "io/hdf5.h"
#include "runtime/devices.h"
#include "mpi_launch.h"

namespace xpulse::testing {
namespace {

namespace fs = std::filesystem;

double number_after(const std::string& text, const std::string& label) {
  const std::regex pattern(label + R"(\s*([-+0-9.eE]+))");
  std::smatch m;
  if (!std::regex_search(text, m, pattern)) return NAN;
  return std::stod(m[1]);
}

const std::string kDetector = "/entry_1/instrument_1/detector_1/";
const std::string kData = kDetector + "data";
const std::string kTranslation = "/entry_1/sample_1/geometry_1/translation";

class PtychoCli : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string sim = dir / "sim.cxi";
  std::string out = dir / "rec.h5";

  void SetUp() override {
    const auto r = run_xpulse("simulate ptycho --out " + sim +
                                  " --object-size 160 --probe-size 48 --positions 64 --scan spiral --no-noise "
                                  "--seed 3 --threads 2",
                              dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  CommandResult reconstruct(const std::string& input, const std::string& options) {
    return run_xpulse("ptycho reconstruct " + input + " --out " + out + " " + options, dir);
  }
  void expect_no_output() const {
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out + ".partial"));
  }
  // A copy of the scan with the frames, translations or mask replaced (a dataset left out when its dims are {}).
  std::string variant(const std::string& name, const std::vector<float>& frames, const std::vector<std::size_t>& dims,
                      const std::vector<double>& translation, const std::vector<std::size_t>& translation_dims,
                      const std::vector<float>& mask = {}) {
    const io::Reader in(sim);
    const std::string path = dir / name;
    io::Writer w(path);
    if (!dims.empty()) w.write<float>(kData, frames, dims);
    if (!translation_dims.empty()) w.write<double>(kTranslation, translation, translation_dims, "m");
    for (const std::string d : {"distance", "x_pixel_size", "y_pixel_size"}) {
      w.write_scalar(kDetector + d, in.read_scalar(kDetector + d), "m");
    }
    w.write_scalar("/entry_1/instrument_1/source_1/energy", in.read_scalar("/entry_1/instrument_1/source_1/energy"), "J");
    if (!mask.empty()) w.write<float>(kDetector + "mask", mask, std::vector<std::size_t>{48, 48});
    w.close();
    return path;
  }
  std::vector<float> frames() const { return io::Reader(sim).read<float>(kData); }
  std::vector<double> translations() const { return io::Reader(sim).read<double>(kTranslation); }
};

TEST_F(PtychoCli, NoiseFreeScanIsReconstructedToTheTruth) {
  const auto r = reconstruct(sim, "--algorithm ml --iterations 60 --warm-up 0 --fixed-probe --probe " + sim +
                                      ":/truth/probe --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("64 frames of 48x48"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("iteration 10 (ml): cost"), std::string::npos) << r.err;
  {
    io::Reader f(out);
    EXPECT_EQ(f.info("/reconstruction/probe").dims, (std::vector<std::size_t>{48, 48}));
    EXPECT_EQ(f.info("/reconstruction/positions").dims, (std::vector<std::size_t>{64, 2}));
    EXPECT_EQ(f.info("/history/cost").dims, (std::vector<std::size_t>{60}));
    EXPECT_EQ(f.string_attribute("/history/seconds", "units"), "s");
    EXPECT_EQ(f.string_attribute("/reconstruction", "algorithm"), "ml");
    const auto cost = f.read<double>("/history/cost");
    EXPECT_LT(cost.back(), 1e-6 * cost.front());
  }
  const auto s = run_xpulse("ptycho score " + out + " --truth " + sim + " --out " + dir / "score.h5", dir);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  std::printf("%s", s.out.c_str());
  EXPECT_LT(number_after(s.out, "error"), 1e-3) << s.out;
  EXPECT_GT(number_after(s.out, "phase SSIM"), 0.999) << s.out;
  EXPECT_TRUE(io::Reader(dir / "score.h5").exists("/score/corrected_object"));
}

TEST_F(PtychoCli, ThreadCountsGiveTheSameBitsAndTwoRanksAgree) {
  for (const std::string algorithm : {"ml", "dm"}) {
    const std::string options = "--algorithm " + algorithm + " --iterations 8 --probe-refine --noise poisson";
    const std::string one = dir / ("one_" + algorithm + ".h5"), two = dir / ("two_" + algorithm + ".h5");
    ASSERT_EQ(run_xpulse("ptycho reconstruct " + sim + " --out " + one + " --threads 1 " + options, dir).exit_code, 0);
    ASSERT_EQ(run_xpulse("ptycho reconstruct " + sim + " --out " + two + " --threads 2 " + options, dir).exit_code, 0);
    EXPECT_EQ(dataset_bytes(one, "/reconstruction/object"), dataset_bytes(two, "/reconstruction/object")) << algorithm;
    EXPECT_EQ(dataset_bytes(one, "/reconstruction/probe"), dataset_bytes(two, "/reconstruction/probe")) << algorithm;
    if (std::string(XPULSE_MPIEXEC).empty()) continue;
    const std::string ranks = dir / ("ranks_" + algorithm + ".h5");
    const auto r = run_xpulse_with(mpirun(2), "ptycho reconstruct " + sim + " --out " + ranks + " --threads 1 " + options, dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("xpulse ptycho reconstruct:"), r.out.rfind("xpulse ptycho reconstruct:")) << r.out;
    const auto a = io::Reader(one).read_complex("/reconstruction/object");
    const auto b = io::Reader(ranks).read_complex("/reconstruction/object");
    ASSERT_EQ(a.size(), b.size());
    double largest = 0, difference = 0;
    for (std::size_t k = 0; k < a.size(); ++k) {
      largest = std::max(largest, static_cast<double>(std::abs(a[k])));
      difference = std::max(difference, static_cast<double>(std::abs(a[k] - b[k])));
    }
    std::printf("%s: 1 vs 2 ranks, largest object difference %.2e of %.3f\n", algorithm.c_str(), difference, largest);
    EXPECT_LT(difference / largest, 1e-5) << algorithm;
  }
}

TEST_F(PtychoCli, BadInputIsOneLineAndNoOutput) {
  const std::string opts = "--iterations 2 --threads 1";
  expect_input_error(reconstruct(dir / "none.cxi", opts), "none.cxi");
  expect_no_output();
  const auto f = frames();
  const auto t = translations();
  expect_input_error(reconstruct(variant("no_translation.cxi", f, {64, 48, 48}, {}, {}), opts),
                     "has no scan translations ('/entry_1/sample_1/geometry_1/translation')");
  expect_no_output();
  expect_input_error(reconstruct(variant("mismatch.cxi", f, {64, 48, 48}, std::vector<double>(t.begin(), t.end() - 3),
                                         {63, 3}), opts),
                     "has 64 frames but 63 translations");
  expect_input_error(reconstruct(variant("rank2.cxi", std::vector<float>(f.begin(), f.begin() + 48 * 48), {48, 48}, t,
                                         {64, 3}), opts),
                     "has rank 2; expected 3 [frames, y, x]");
  expect_input_error(reconstruct(variant("empty.cxi", {}, {0, 48, 48}, {}, {0, 3}), opts), "is empty");
  std::vector<float> nan = f;
  nan[5 * 48 * 48 + 100] = NAN;
  expect_input_error(reconstruct(variant("nan.cxi", nan, {64, 48, 48}, t, {64, 3}), opts),
                     "frame 5 pixel (2, 4) holds nan");
  // A masked NaN is no error.
  std::vector<float> mask(48 * 48, 0.0f);
  mask[100] = 1;
  EXPECT_EQ(reconstruct(variant("masked.cxi", nan, {64, 48, 48}, t, {64, 3}, mask), opts).exit_code, 0);
  fs::remove(out);
  expect_input_error(reconstruct(variant("nonsquare.cxi", std::vector<float>(64 * 48 * 40, 1.0f), {64, 48, 40}, t,
                                         {64, 3}), opts),
                     "ptychography here needs square frames");
  // A probe larger than the frames.
  {
    io::Writer w(dir / "big_probe.h5");
    w.write_complex("/probe", std::vector<std::complex<float>>(64 * 64, {1, 0}), std::vector<std::size_t>{64, 64});
    w.write<float>("/real", std::vector<float>(48 * 48, 1.0f), std::vector<std::size_t>{48, 48});
    w.close();
  }
  expect_input_error(reconstruct(sim, opts + " --probe " + dir / "big_probe.h5:/probe"),
                     "(64x64) is larger than the frames (48x48)");
  expect_input_error(reconstruct(sim, opts + " --probe " + sim + ":/entry_1/instrument_1/detector_1/data"),
                     "has rank 3; expected 2");
  expect_input_error(reconstruct(sim, opts + " --probe " + dir / "big_probe.h5:/real"), "is not complex");
  expect_input_error(reconstruct(sim, opts + " --probe nocolon"), "--probe 'nocolon' must be FILE:/dataset");
  expect_input_error(reconstruct(sim, "--iterations 0"), "--iterations must be >= 1, got 0");
  expect_input_error(reconstruct(sim, "--dm-settle 2"), "--dm-settle must be in [0, 1], got 2");
  expect_input_error(reconstruct(sim, "--algorithm epie --rpie 0"), "--rpie must be in (0, 1]");
  expect_input_error(reconstruct(sim, "--algorithm pie"), "--algorithm 'pie' is not known; use epie, dm or ml");
  expect_input_error(reconstruct(sim, "--noise normal"), "--noise 'normal' is not known; use gaussian or poisson");
  expect_input_error(reconstruct(sim, "--device cuda --algorithm dm"), "--device cuda runs --algorithm ml only");
  if (runtime::cuda_device_count() == 0) {
    expect_input_error(reconstruct(sim, "--device cuda"), "--device cuda: no CUDA device can be used (");
  }
  // Truncated file.
  const std::string cut = dir / "cut.cxi";
  fs::copy_file(sim, cut);
  fs::resize_file(cut, fs::file_size(sim) / 2);
  expect_input_error(reconstruct(cut, opts), "cut.cxi");
  expect_no_output();
  if (!std::string(XPULSE_MPIEXEC).empty()) {
    expect_input_error(run_xpulse_with(mpirun(2), "ptycho reconstruct " + sim + " --out " + out + " --algorithm epie",
                                       dir),
                       "ePIE updates the object after every position and runs as one process");
    expect_no_output();
  }
}

TEST_F(PtychoCli, SimulateAndScoreBadInputIsOneLine) {
  const std::string o = " --out " + dir / "x.cxi";
  expect_input_error(run_xpulse("simulate ptycho" + o + " --overlap 1.2", dir), "--overlap must be in [0, 1), got 1.2");
  expect_input_error(run_xpulse("simulate ptycho" + o + " --object-size 200 --probe-size 128 --positions 400", dir),
                     "more than the 72 pixels the object leaves");
  expect_input_error(run_xpulse("simulate ptycho" + o + " --scan zigzag", dir), "--scan 'zigzag' is not known");
  expect_input_error(run_xpulse("simulate ptycho" + o + " --object " + dir / "none.png", dir), "none.png");
  EXPECT_FALSE(fs::exists(dir / "x.cxi"));
  expect_input_error(run_xpulse("ptycho score " + sim + " --truth " + sim, dir), "/reconstruction/object");
  ASSERT_EQ(reconstruct(sim, "--iterations 1 --threads 1").exit_code, 0);
  expect_input_error(run_xpulse("ptycho score " + out + " --truth " + out, dir), "/truth/object");
}

}  // namespace
}  // namespace xpulse::testing
