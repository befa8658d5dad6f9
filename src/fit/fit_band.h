#pragma once
// Fits every pixel of a band of detector rows held in memory, tile by tile on a thread pool. The file pipeline
// calls it once per band it reads; the Python module once for a whole array. A pixel's result does not depend
// on the tiling or the thread count.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "fit/fit_maps.h"
#include "fit/tile_fitter.h"

namespace xpulse::runtime {
class ThreadPool;
}

namespace xpulse::fit {

struct Band {
  const float* data = nullptr;  // [fitted delays][rows][nx], row-major
  std::size_t rows = 0;
  std::size_t nx = 0;
  std::size_t y0 = 0;           // detector row of the band's first row
  const float* weights = nullptr;  // [fitted delays][rows][nx] per-point weights (dataset weights), or nullptr
};

// fitters: one per pool worker. mask: [ny][nx] of the whole detector or nullptr. on_tile(pixels) is called
// after each tile (from worker threads). Returns the number of pixels handed to the solver.
std::size_t fit_band(const Band& band, std::size_t tile_height, std::size_t tile_width, const std::uint8_t* mask,
                     std::vector<std::unique_ptr<TileFitter>>& fitters, runtime::ThreadPool& pool, FitMaps& maps,
                     const std::function<void(std::size_t pixels)>& on_tile = {});

}  // namespace xpulse::fit
