#include "io/band_plan.h"

#include <gtest/gtest.h>

#include <vector>

namespace xpulse::io {
namespace {

constexpr std::size_t kMiB = 1u << 20;

TEST(BandPlan, ContiguousBandsFollowTheBudgetInWholeTiles) {
  // 100 frames x 512 columns x 4 bytes = 200 KiB per row; 8 MiB budget -> 40 rows -> 32 (whole 16-row tiles).
  const BandPlan p = plan_row_bands(100, 512, 512, {}, 16, 8 * kMiB);
  EXPECT_EQ(p.band_rows, 32u);
  EXPECT_EQ(p.bands, 16u);
  EXPECT_FALSE(p.whole_stack_for_frame_chunks);
}

TEST(BandPlan, RowChunkedBandsEndOnChunkBoundaries) {
  const std::vector<std::size_t> granule = {100, 24, 64};
  const BandPlan p = plan_row_bands(100, 512, 512, granule, 16, 8 * kMiB);
  EXPECT_EQ(p.band_rows % 24, 0u);
  EXPECT_EQ(p.band_rows, 24u);
  // A budget smaller than one chunk row still reads whole chunks.
  EXPECT_EQ(plan_row_bands(100, 512, 512, granule, 16, 1).band_rows, 24u);
}

TEST(BandPlan, FrameChunkedDataIsReadAsOneBand) {
  const std::vector<std::size_t> granule = {1, 512, 512};
  const BandPlan p = plan_row_bands(100, 512, 512, granule, 16, 8 * kMiB);
  EXPECT_EQ(p.band_rows, 512u);
  EXPECT_EQ(p.bands, 1u);
  EXPECT_TRUE(p.whole_stack_for_frame_chunks);
  EXPECT_FALSE(plan_row_bands(100, 512, 512, granule, 16, 1024 * kMiB).whole_stack_for_frame_chunks);
}

}  // namespace
}  // namespace xpulse::io
