#pragma once
// Fits every pixel of a tile. One interface per backend, chosen by a factory. The CUDA backend fits whole
// bands at once (band_fitter.h); its per-pixel code runs on the host as the reference backend here.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fit/fit_maps.h"
#include "fit/fit_problem.h"

namespace xpulse::fit {

// A tile of the detector stack: value(k, y, x) = data[k * frame_stride + y * row_stride + x] for the fitted
// delays k (index 0 = FitProblem::first_delay), 0 <= y < height, 0 <= x < width.
struct TileView {
  const float* data = nullptr;
  std::size_t frame_stride = 0;
  std::size_t row_stride = 0;
  std::size_t height = 0;
  std::size_t width = 0;
  std::size_t y0 = 0;  // position of the tile's first pixel on the detector
  std::size_t x0 = 0;
  // Per-point weights (1 / data units^2) at the same offsets as data; set when FitOptions::weights is dataset.
  const float* weights = nullptr;
};

class TileFitter {
 public:
  virtual ~TileFitter() = default;
  // Fits the tile and writes its pixels of `maps` (no other pixel is touched, so tiles may run concurrently
  // on separate fitters). mask: [ny][nx] of the whole detector, nonzero = bad, or nullptr.
  // Returns the number of pixels handed to the solver (not masked, finite, not flat).
  virtual std::size_t fit(const TileView& tile, const std::uint8_t* mask, FitMaps& maps) = 0;

  // One fitter per worker thread: a fitter owns its scratch memory.
  static std::unique_ptr<TileFitter> create_cpu(const FitProblem& problem, const FitOptions& options);
  // The CUDA kernel's scalar per-pixel code (pixel_fit.h) on the host: the CUDA backend's CPU twin.
  static std::unique_ptr<TileFitter> create_reference(const FitProblem& problem, const FitOptions& options);
};

struct PixelResult;
// Writes one pixel's result into the maps (every field, as the CPU backend leaves it).
void store_pixel_result(const PixelResult& result, std::size_t pixel, FitMaps& maps);

}  // namespace xpulse::fit
