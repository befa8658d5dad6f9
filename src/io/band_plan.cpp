#include "io/band_plan.h"

#include <algorithm>

namespace xpulse::io {

BandPlan plan_row_bands(std::size_t frames, std::size_t ny, std::size_t nx, std::span<const std::size_t> granule,
                        std::size_t tile_height, std::size_t budget_bytes) {
  BandPlan plan;
  const std::size_t row_bytes = std::max<std::size_t>(1, frames * nx * sizeof(float));
  const std::size_t tile_rows = std::max<std::size_t>(1, tile_height);
  // Rows that fit the budget, in whole tiles.
  std::size_t rows = std::max<std::size_t>(1, budget_bytes / (row_bytes * tile_rows)) * tile_rows;
  if (granule.size() == 3 && granule[1] > 0) {
    const std::size_t g = granule[1];
    if (g >= ny) {
      rows = ny;
      plan.frame_chunks = true;
      plan.whole_stack_for_frame_chunks = ny > 0 && budget_bytes / row_bytes < ny;
    } else {
      rows = std::max(g, rows / g * g);
    }
  }
  plan.band_rows = std::min(std::max<std::size_t>(1, rows), std::max<std::size_t>(1, ny));
  plan.bands = ny == 0 ? 0 : (ny + plan.band_rows - 1) / plan.band_rows;
  return plan;
}

}  // namespace xpulse::io
