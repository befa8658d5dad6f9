// `xpulse simulate sfx` and `xpulse sfx peaks`: on simulated stills peakfinder8 finds >= 95% of the truth spots
// with I/sigma >= 5 (within 2 pixels), >= 95% of its peaks are truth spots, and >= 99% of frames are classified
// right; the outputs have CXI's layout; bad input is one line, exit 2, no output.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli_harness.h"
#include "io/hdf5.h"
#include "runtime/devices.h"

namespace xpulse::testing {
namespace {

namespace fs = std::filesystem;

const std::string kResult = "/entry_1/result_1/";

class SfxCli : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string sim = dir / "sim.cxi";
  std::string out = dir / "peaks.h5";

  void SetUp() override {
    const auto r = run_xpulse("simulate sfx --pdb " XPULSE_TEST_DATA "/2cex.pdb --out " + sim +
                                  " --frames 100 --pixels 512x512 --hit-fraction 0.3 --seed 4 --threads 2",
                              dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  CommandResult peaks(const std::string& input, const std::string& options) {
    return run_xpulse("sfx peaks " + input + " --out " + out + " --threads 2 " + options, dir);
  }
};

TEST_F(SfxCli, PeaksAndHitsMatchTheTruth) {
  // The simulated detector gives 20 ADU per photon: a 100 ADU threshold is 5 photons.
  const auto r = peaks(sim, "--threshold 100 --hits-out " + dir / "hits.cxi");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const io::Reader truth(sim), found(out);
  const auto frame = truth.read<double>("/truth/spots/frame"), x = truth.read<double>("/truth/spots/x"),
             y = truth.read<double>("/truth/spots/y"), photons = truth.read<double>("/truth/spots/photons"),
             sigma = truth.read<double>("/truth/spots/sigma"), is_hit = truth.read<double>("/truth/hit");
  const auto count = found.read<double>(kResult + "nPeaks"), px = found.read<double>(kResult + "peakXPosRaw"),
             py = found.read<double>(kResult + "peakYPosRaw"), hit = found.read<double>(kResult + "hit");
  const std::size_t frames = count.size(), max_peaks = px.size() / frames;
  ASSERT_EQ(frames, 100u);
  EXPECT_EQ(max_peaks, 2048u);
  std::size_t strong = 0, recalled = 0, peaks_total = 0, true_peaks = 0, right = 0;
  for (std::size_t j = 0; j < frames; ++j) {
    right += (hit[j] > 0) == (is_hit[j] > 0);
    const auto n = static_cast<std::size_t>(count[j]);
    for (std::size_t s = 0; s < frame.size(); ++s) {
      if (static_cast<std::size_t>(frame[s]) != j || photons[s] / sigma[s] < 5) continue;
      ++strong;
      for (std::size_t p = 0; p < n; ++p) {
        if (std::hypot(px[j * max_peaks + p] - x[s], py[j * max_peaks + p] - y[s]) <= 2) {
          ++recalled;
          break;
        }
      }
    }
    for (std::size_t p = 0; p < n; ++p) {
      ++peaks_total;
      for (std::size_t s = 0; s < frame.size(); ++s) {
        if (static_cast<std::size_t>(frame[s]) == j &&
            std::hypot(px[j * max_peaks + p] - x[s], py[j * max_peaks + p] - y[s]) <= 2) {
          ++true_peaks;
          break;
        }
      }
    }
  }
  const double recall = static_cast<double>(recalled) / static_cast<double>(strong);
  const double precision = static_cast<double>(true_peaks) / static_cast<double>(peaks_total);
  std::printf("recall %.4f of %zu spots with I/sigma >= 5, precision %.4f of %zu peaks, %zu of %zu frames right\n",
              recall, strong, precision, peaks_total, right, frames);
  EXPECT_GT(strong, 500u);
  EXPECT_GE(recall, 0.95);
  EXPECT_GE(precision, 0.95);
  EXPECT_GE(right, 99u);
  EXPECT_NEAR(*found.numeric_attribute("/entry_1/result_1", "hit_rate"),
              [&] { double h = 0; for (double v : hit) h += v; return h / 100; }(), 1e-12);
  EXPECT_EQ(found.info(kResult + "powder").dims, (std::vector<std::size_t>{512, 512}));
  const io::Reader hits(dir / "hits.cxi");
  double n_hits = 0;
  for (double v : hit) n_hits += v;
  EXPECT_EQ(hits.info("/entry_1/data_1/data").dims, (std::vector<std::size_t>{static_cast<std::size_t>(n_hits), 512, 512}));
  EXPECT_EQ(hits.info(kResult + "nPeaks").dims, (std::vector<std::size_t>{static_cast<std::size_t>(n_hits)}));
}

// The frames go to the file batch by batch as they are rendered, with --progress on stderr: 20 frames of
// 2048x2048 (16 MiB each) are two batches of 256 MiB and less, and every frame lands in the file.
TEST_F(SfxCli, SimulateWritesFramesAsTheyAreRenderedWithProgress) {
  const std::string big = dir / "big.cxi";
  const auto r = run_xpulse("simulate sfx --pdb " XPULSE_TEST_DATA "/2cex.pdb --out " + big +
                                " --frames 20 --pixels 2048x2048 --distance 0.4 --hit-fraction 0.5 --threads 2 "
                                "--progress --device cpu",
                            dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("simulate sfx: 20/20 frames (100.0%)"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("(CPU)"), std::string::npos) << r.out;
  const io::Reader file(big);
  EXPECT_EQ(file.info("/entry_1/data_1/data").dims, (std::vector<std::size_t>{20, 2048, 2048}));
  // Every frame was written: none is left at the fill value 0 (the frames carry readout noise everywhere but
  // in the mask, 0.1% of pixels and the gap's 4 rows).
  const auto last = file.read<float>("/entry_1/data_1/data", std::vector<std::size_t>{19, 0, 0},
                                     std::vector<std::size_t>{1, 2048, 2048});
  std::size_t zeros = 0;
  for (float v : last) zeros += v == 0.0f;
  EXPECT_LT(zeros, 4 * 2048 + 2048 * 2048 / 500);
}

// --geometry's beam centre replaces the file's: the same centre gives the same peaks; one far off the detector
// puts every peak beyond --max-res.
TEST_F(SfxCli, GeometryFileSetsTheBeamCentre) {
  ASSERT_EQ(peaks(sim, "--threshold 100").exit_code, 0);
  const auto reference = io::Reader(out).read<float>(kResult + "peakXPosRaw");
  const io::Reader in(sim);
  const double cx = in.read_scalar("/entry_1/instrument_1/detector_1/beam_center_x");
  const double cy = in.read_scalar("/entry_1/instrument_1/detector_1/beam_center_y");
  std::ofstream(dir / "same.toml") << fmt::format("[detector]\nbeam_center_x = {}\nbeam_center_y = {}\n", cx, cy);
  auto r = peaks(sim, "--threshold 100 --geometry " + dir / "same.toml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(io::Reader(out).read<float>(kResult + "peakXPosRaw"), reference);
  std::ofstream(dir / "far.toml") << "[detector]\nbeam_center_x = 5000\nbeam_center_y = 5000\n";
  r = peaks(sim, "--threshold 100 --max-res 1000 --geometry " + dir / "far.toml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("beam centre (5000.00, 5000.00) pixels"), std::string::npos) << r.out;
  for (const double n : io::Reader(out).read<double>(kResult + "nPeaks")) EXPECT_EQ(n, 0);
}

TEST_F(SfxCli, BadInputIsOneLineAndNoOutput) {
  expect_input_error(peaks(dir / "none.cxi", ""), "none.cxi");
  expect_input_error(peaks(sim, "--threshold -5"), "--threshold must be >= 0, got -5");
  expect_input_error(peaks(sim, "--min-snr -1"), "--min-snr must be >= 0, got -1");
  expect_input_error(peaks(sim, "--min-pix 5 --max-pix 2"), "--min-pix (5) must be >= 1 and at most --max-pix (2)");
  expect_input_error(peaks(sim, "--min-peaks 3000"), "--min-peaks must not exceed --max-peaks");
  expect_input_error(peaks(sim, "--device gpu"), "--device 'gpu' is not known; use cpu, cuda or auto");
  if (runtime::cuda_device_count() == 0) expect_input_error(peaks(sim, "--device cuda"), "--device cuda: ");
  {
    std::ofstream(dir / "typo.toml") << "[detector]\nbeam_centre_x = 3\n";
    expect_input_error(peaks(sim, "--geometry " + dir / "typo.toml"), "beam_centre_x");
  }
  expect_input_error(peaks(sim, "--geometry " + dir / "none.toml"), "none.toml");
  EXPECT_FALSE(fs::exists(out));
  const io::Reader in(sim);
  const auto frames = in.read<float>("/entry_1/data_1/data");
  const auto write = [&](const std::string& name, const std::vector<float>& data, const std::vector<std::size_t>& dims,
                         const std::vector<std::size_t>& mask_dims) {
    io::Writer w(dir / name);
    if (!dims.empty()) w.write<float>("/entry_1/data_1/data", data, dims);
    if (!mask_dims.empty()) {
      std::size_t size = 1;
      for (auto d : mask_dims) size *= d;
      w.write<std::uint8_t>("/entry_1/instrument_1/detector_1/mask", std::vector<std::uint8_t>(size, 0), mask_dims);
    }
    w.close();
    return dir / name;
  };
  expect_input_error(peaks(write("mask.cxi", frames, {100, 512, 512}, {256, 512}), ""),
                     "is 256x512; the frames are 512x512");
  expect_input_error(peaks(write("nodata.cxi", {}, {}, {512, 512}), ""), "/entry_1/data_1/data");
  expect_input_error(peaks(write("empty.cxi", {}, {0, 512, 512}, {}), ""), "holds no frames");
  expect_input_error(peaks(write("rank2.cxi", std::vector<float>(frames.begin(), frames.begin() + 512 * 512),
                                 {512, 512}, {}), ""),
                     "has rank 2; expected 3 [frames, y, x]");
  std::vector<float> nan(frames.begin(), frames.begin() + 2 * 512 * 512);
  nan[512 * 512 + 7] = NAN;
  expect_input_error(peaks(write("nan.cxi", nan, {2, 512, 512}, {}), ""), "frame 1 pixel (0, 7) holds nan");
  const std::string cut = dir / "cut.cxi";
  fs::copy_file(sim, cut);
  fs::resize_file(cut, fs::file_size(sim) / 2);
  expect_input_error(peaks(cut, ""), "cut.cxi");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".partial"));
  const std::string o = " --out " + dir / "x.cxi";
  expect_input_error(run_xpulse("simulate sfx --pdb " XPULSE_TEST_DATA "/2cex.pdb" + o + " --hit-fraction 2", dir),
                     "--hit-fraction must be in [0, 1], got 2");
  expect_input_error(run_xpulse("simulate sfx --pdb " + dir / "none.pdb" + o, dir), "none.pdb");
  expect_input_error(run_xpulse("simulate sfx --pdb " XPULSE_TEST_DATA "/2cex.pdb" + o + " --pixels 12", dir), "--pixels");
  expect_input_error(run_xpulse("simulate sfx --pdb " XPULSE_TEST_DATA "/2cex.pdb" + o + " --device tpu", dir),
                     "--device 'tpu' is not known; use cpu, cuda or auto");
  if (runtime::cuda_device_count() == 0) {
    expect_input_error(run_xpulse("simulate sfx --pdb " XPULSE_TEST_DATA "/2cex.pdb" + o + " --device cuda", dir),
                       "--device cuda: no CUDA device can be used (");
  } else {
    expect_input_error(run_xpulse("simulate sfx --pdb " XPULSE_TEST_DATA "/2cex.pdb" + o + " --gpu 99", dir),
                       "--gpu 99: this machine has ");
  }
  EXPECT_FALSE(fs::exists(dir / "x.cxi"));
}

}  // namespace
}  // namespace xpulse::testing
