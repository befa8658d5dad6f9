#include "fit/fit_band.h"

#include <algorithm>
#include <atomic>

#include "runtime/thread_pool.h"

namespace xpulse::fit {

std::size_t fit_band(const Band& band, std::size_t tile_height, std::size_t tile_width, const std::uint8_t* mask,
                     std::vector<std::unique_ptr<TileFitter>>& fitters, runtime::ThreadPool& pool, FitMaps& maps,
                     const std::function<void(std::size_t)>& on_tile) {
  const std::size_t tiles_x = (band.nx + tile_width - 1) / tile_width;
  const std::size_t tiles_y = (band.rows + tile_height - 1) / tile_height;
  std::atomic<std::size_t> fitted{0};
  pool.parallel_for(tiles_y * tiles_x, [&](std::size_t t, unsigned worker) {
    const std::size_t ty = t / tiles_x, tx = t % tiles_x;
    TileView view;
    const std::size_t offset = ty * tile_height * band.nx + tx * tile_width;
    view.data = band.data + offset;
    view.weights = band.weights != nullptr ? band.weights + offset : nullptr;
    view.frame_stride = band.rows * band.nx;
    view.row_stride = band.nx;
    view.height = std::min(tile_height, band.rows - ty * tile_height);
    view.width = std::min(tile_width, band.nx - tx * tile_width);
    view.y0 = band.y0 + ty * tile_height;
    view.x0 = tx * tile_width;
    fitted += fitters[worker]->fit(view, mask, maps);
    if (on_tile) on_tile(view.height * view.width);
  });
  return fitted.load();
}

}  // namespace xpulse::fit
