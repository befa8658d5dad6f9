#include "correct/jungfrau_correction.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "correct/cuda_jungfrau.h"
#include "runtime/devices.h"
#include "runtime/thread_pool.h"

namespace xpulse::correct {
namespace {

std::uint16_t word(unsigned stage_bits, unsigned adc) { return static_cast<std::uint16_t>((stage_bits << 14) | adc); }

TEST(JungfrauCorrection, EveryGainStageUsesItsOwnConstants) {
  const float pedestal[3] = {1000.0f, 14000.0f, 15000.0f};
  const float gain[3] = {40.0f, -1.5f, -0.1f};  // G1 and G2 gains are negative on real modules: flagged
  const float positive_gain[3] = {40.0f, 1.5f, 0.1f};
  std::uint8_t flag = 255;
  EXPECT_EQ(correct_jungfrau_word(word(0, 1400), pedestal, positive_gain, 0.0f, flag), (1400.0f - 1000.0f) / 40.0f);
  EXPECT_EQ(flag, 0);
  EXPECT_EQ(correct_jungfrau_word(word(1, 14300), pedestal, positive_gain, 0.0f, flag), (14300.0f - 14000.0f) / 1.5f);
  EXPECT_EQ(flag, 0);
  EXPECT_EQ(correct_jungfrau_word(word(3, 15100), pedestal, positive_gain, 0.0f, flag), (15100.0f - 15000.0f) / 0.1f);
  EXPECT_EQ(flag, 0);
  EXPECT_EQ(correct_jungfrau_word(word(1, 14300), pedestal, gain, 0.0f, flag), 0.0f);
  EXPECT_EQ(flag, kJungfrauBadConstants);
}

TEST(JungfrauCorrection, InvalidGainBitsAreZeroAndFlagged) {
  const float pedestal[3] = {1000.0f, 14000.0f, 15000.0f};
  const float gain[3] = {40.0f, 1.5f, 0.1f};
  std::uint8_t flag = 0;
  EXPECT_EQ(correct_jungfrau_word(word(2, 1234), pedestal, gain, 0.0f, flag), 0.0f);
  EXPECT_EQ(flag, kJungfrauInvalidGain);
}

TEST(JungfrauCorrection, PhotonEnergyDividesOnceMore) {
  const float pedestal[3] = {1000.0f, 0.0f, 0.0f};
  const float gain[3] = {40.0f, 1.0f, 1.0f};
  std::uint8_t flag = 0;
  const float kev = (1480.0f - 1000.0f) / 40.0f;
  EXPECT_EQ(correct_jungfrau_word(word(0, 1480), pedestal, gain, 12.4f, flag), kev / 12.4f);
}

TEST(JungfrauCorrection, UnusableConstantsAreFlagged) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::uint8_t flag = 0;
  for (const auto& [p, g] : {std::pair{nan, 40.0f}, std::pair{1000.0f, nan}, std::pair{1000.0f, 0.0f},
                             std::pair{inf, 40.0f}, std::pair{1000.0f, inf}}) {
    const float pedestal[3] = {p, 0.0f, 0.0f};
    const float gain[3] = {g, 1.0f, 1.0f};
    EXPECT_EQ(correct_jungfrau_word(word(0, 1200), pedestal, gain, 0.0f, flag), 0.0f);
    EXPECT_EQ(flag, kJungfrauBadConstants);
  }
}

// The blocked, threaded loop gives the per-word function's results for any thread count, and tracking moves the
// G0 pedestal towards dark values only.
TEST(JungfrauCorrection, FramesAndThreadsAgreeWithTheWordFunction) {
  const std::size_t pixels = 10000, frames = 7;
  std::vector<float> pedestal(3 * pixels), gain(3 * pixels);
  for (std::size_t p = 0; p < pixels; ++p) {
    pedestal[p] = 1000.0f + static_cast<float>(p % 17);
    pedestal[pixels + p] = 14000.0f + static_cast<float>(p % 13);
    pedestal[2 * pixels + p] = 15000.0f + static_cast<float>(p % 11);
    gain[p] = 40.0f + 0.01f * static_cast<float>(p % 7);
    gain[pixels + p] = 1.5f;
    gain[2 * pixels + p] = 0.1f;
  }
  std::vector<std::uint16_t> raw(frames * pixels);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint16_t>((i * 2654435761u) >> 7);
  JungfrauOptions options;
  options.photon_energy = 9.0f;
  std::vector<float> one(raw.size()), two(raw.size());
  std::vector<std::uint8_t> flags_one(raw.size()), flags_two(raw.size());
  runtime::ThreadPool pool1(1), pool2(2);
  std::vector<float> ped1 = pedestal, ped2 = pedestal;
  correct_jungfrau(raw.data(), frames, pixels, ped1.data(), gain.data(), options, one.data(), flags_one.data(), pool1);
  correct_jungfrau(raw.data(), frames, pixels, ped2.data(), gain.data(), options, two.data(), flags_two.data(), pool2);
  EXPECT_EQ(one, two);
  EXPECT_EQ(flags_one, flags_two);
  for (std::size_t i = 0; i < raw.size(); i += 97) {
    const std::size_t p = i % pixels;
    const float ped[3] = {pedestal[p], pedestal[pixels + p], pedestal[2 * pixels + p]};
    const float g[3] = {gain[p], gain[pixels + p], gain[2 * pixels + p]};
    std::uint8_t flag = 0;
    EXPECT_EQ(one[i], correct_jungfrau_word(raw[i], ped, g, options.photon_energy, flag)) << i;
    EXPECT_EQ(flags_one[i], flag) << i;
  }

  // Tracking: a pixel that reads its pedestal + 5 ADU in G0 (dark) every frame drifts towards it.
  options.pedestal_window = 4;
  std::vector<std::uint16_t> dark(frames * pixels);
  for (std::size_t f = 0; f < frames; ++f) {
    for (std::size_t p = 0; p < pixels; ++p) dark[f * pixels + p] = static_cast<std::uint16_t>(pedestal[p] + 5.0f);
  }
  std::vector<float> tracked = pedestal;
  correct_jungfrau(dark.data(), frames, pixels, tracked.data(), gain.data(), options, one.data(), flags_one.data(),
                   pool2);
  float expected = pedestal[0];
  for (std::size_t f = 0; f < frames; ++f) expected = expected + (std::floor(pedestal[0] + 5.0f) - expected) / 4.0f;
  EXPECT_EQ(tracked[0], expected);
  EXPECT_GT(tracked[0], pedestal[0] + 3.0f);
  EXPECT_EQ(tracked[pixels], pedestal[pixels]);  // G1 and G2 pedestals are not tracked
}

// The CUDA kernel gives the CPU loop's bits, pedestal tracking included (skipped without a device).
TEST(JungfrauCorrection, CudaGivesTheCpuBits) {
  if (runtime::cuda_device_count() == 0) GTEST_SKIP() << "CUDA not tested: " << runtime::cuda_unavailable_reason();
  const std::size_t pixels = 70000, frames = 5;
  std::vector<float> pedestal(3 * pixels), gain(3 * pixels);
  for (std::size_t p = 0; p < pixels; ++p) {
    pedestal[p] = 1000.0f + static_cast<float>(p % 17);
    pedestal[pixels + p] = 14000.0f;
    pedestal[2 * pixels + p] = 15000.0f;
    gain[p] = p % 1000 == 0 ? 0.0f : 40.0f + 0.01f * static_cast<float>(p % 7);
    gain[pixels + p] = 1.5f;
    gain[2 * pixels + p] = 0.1f;
  }
  std::vector<std::uint16_t> raw(frames * pixels);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint16_t>((i * 2654435761u) >> 9);
  JungfrauOptions options;
  options.photon_energy = 9.0f;
  options.pedestal_window = 3;
  options.dark_threshold = 200.0f;
  std::vector<float> cpu(raw.size()), gpu(raw.size()), ped_cpu = pedestal, ped_gpu = pedestal;
  std::vector<std::uint8_t> flags_cpu(raw.size()), flags_gpu(raw.size());
  runtime::ThreadPool pool(2);
  correct_jungfrau(raw.data(), frames, pixels, ped_cpu.data(), gain.data(), options, cpu.data(), flags_cpu.data(), pool);
  correct_jungfrau_cuda(raw.data(), frames, pixels, ped_gpu.data(), gain.data(), options, gpu.data(), flags_gpu.data());
  EXPECT_EQ(cpu, gpu);
  EXPECT_EQ(flags_cpu, flags_gpu);
  EXPECT_EQ(ped_cpu, ped_gpu);
}

}  // namespace
}  // namespace xpulse::correct
