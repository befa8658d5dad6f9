#include "reduce/frame_reduction.h"

#include <cmath>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "runtime/journal.h"

namespace xpulse::reduce {
namespace {

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

std::vector<double> random_frames(std::size_t frames, std::size_t pixels) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(100.0, 30.0);
  std::vector<double> v(frames * pixels);
  for (double& x : v) x = noise(rng);
  v[5] = NAN;  // NaN propagates like numpy
  return v;
}

void expect_same(const FrameReduction& a, const FrameReduction& b) {
  EXPECT_EQ(a.frames(), b.frames());
  EXPECT_TRUE(same_bits(a.sum(), b.sum()));
  EXPECT_TRUE(same_bits(a.mean(), b.mean()));
  EXPECT_TRUE(same_bits(a.stdev(), b.stdev()));
  EXPECT_TRUE(same_bits(a.max(), b.max()));
  EXPECT_TRUE(same_bits(a.min(), b.min()));
  EXPECT_TRUE(same_bits(a.frame_totals(), b.frame_totals()));
}

TEST(FrameReduction, CheckpointAndContinueGivesTheUninterruptedBits) {
  const std::size_t frames = 10, rows = 40, row_pixels = 1000, pixels = rows * row_pixels;
  const std::vector<double> data = random_frames(frames, pixels);
  runtime::ThreadPool pool(2);
  FrameReduction whole(pixels, row_pixels);
  whole.add(data.data(), frames, pool);

  FrameReduction first(pixels, row_pixels);
  first.add(data.data(), 4, pool);
  runtime::PayloadWriter state;
  first.save(state);
  FrameReduction resumed(pixels, row_pixels);
  runtime::PayloadReader in(state.bytes());
  resumed.load(in);
  resumed.add(data.data() + 4 * pixels, frames - 4, pool);
  expect_same(whole, resumed);

  FrameReduction other_size(pixels - row_pixels, row_pixels);
  runtime::PayloadReader again(state.bytes());
  EXPECT_ANY_THROW(other_size.load(again));
}

TEST(FrameReduction, SharesOfWholeBlocksCombineToTheSameFrameTotals) {
  // What MPI ranks do: each reduces whole pixel blocks; block totals are gathered (-0.0 elsewhere) and summed.
  const std::size_t frames = 6, rows = 50, row_pixels = 700, pixels = rows * row_pixels;
  const std::vector<double> data = random_frames(frames, pixels);
  runtime::ThreadPool pool(1);
  FrameReduction whole(pixels, row_pixels);
  whole.add(data.data(), frames, pool);
  const std::size_t block_rows = FrameReduction::block_rows(row_pixels);
  ASSERT_EQ(block_rows, 23u);
  const std::size_t blocks = whole.blocks();
  ASSERT_EQ(blocks, 3u);
  std::vector<double> gathered(frames * blocks, -0.0);
  for (const auto& [b0, b1] : {std::pair<std::size_t, std::size_t>{0, 2}, {2, 3}}) {
    const std::size_t r0 = b0 * block_rows, r1 = std::min(rows, b1 * block_rows);
    std::vector<double> part;
    for (std::size_t f = 0; f < frames; ++f) {
      part.insert(part.end(), data.begin() + static_cast<std::ptrdiff_t>(f * pixels + r0 * row_pixels),
                  data.begin() + static_cast<std::ptrdiff_t>(f * pixels + r1 * row_pixels));
    }
    FrameReduction share((r1 - r0) * row_pixels, row_pixels);
    share.add(part.data(), frames, pool);
    for (std::size_t f = 0; f < frames; ++f) {
      for (std::size_t b = 0; b < share.blocks(); ++b) {
        gathered[f * blocks + b0 + b] += share.block_totals()[f * share.blocks() + b];
      }
    }
  }
  EXPECT_TRUE(same_bits(sum_block_totals(gathered, blocks), whole.frame_totals()));
}

}  // namespace
}  // namespace xpulse::reduce
