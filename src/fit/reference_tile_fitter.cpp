// Reference backend of TileFitter: the CUDA kernel's per-pixel code (pixel_fit.h) run on the host, one pixel at
// a time. It is the CPU twin the CUDA backend is checked against, and is itself checked against the CPU backend.
#include <stdexcept>
#include <vector>

#include "fit/damped_cosine.h"
#include "fit/damped_cosine_exp.h"
#include "fit/pixel_fit.h"
#include "fit/pixel_fit_tables.h"
#include "fit/tile_fitter.h"

namespace xpulse::fit {
namespace {

template <class Model>
class ReferenceTileFitter final : public TileFitter {
 public:
  ReferenceTileFitter(const FitProblem& problem, const FitOptions& options)
      : tables_(PixelFitTables::make(problem, options)), constants_(tables_.host()) {
    model_.max_frequency = constants_.max_frequency;
    if constexpr (Model::kParams == DampedCosineExp::kParams) model_.min_tau = constants_.min_tau;
  }

  std::size_t fit(const TileView& tile, const std::uint8_t* mask, FitMaps& maps) override {
    const std::size_t n = tables_.t.size();
    trace_.resize(n);
    weights_.resize(n);
    if (constants_.weights == WeightKind::dataset && tile.weights == nullptr) {
      throw std::logic_error("ReferenceTileFitter: dataset weights asked for but the tile has none");
    }
    std::size_t fitted = 0;
    for (std::size_t iy = 0; iy < tile.height; ++iy) {
      for (std::size_t ix = 0; ix < tile.width; ++ix) {
        const std::size_t out = (tile.y0 + iy) * maps.nx + tile.x0 + ix;
        const float* src = tile.data + iy * tile.row_stride + ix;
        for (std::size_t k = 0; k < n; ++k) trace_[k] = src[k * tile.frame_stride];
        StridedTrace weights{nullptr, 0};
        if (tile.weights != nullptr) {
          const float* w = tile.weights + iy * tile.row_stride + ix;
          for (std::size_t k = 0; k < n; ++k) weights_[k] = w[k * tile.frame_stride];
          weights = StridedTrace{weights_.data(), 1};
        }
        const bool masked = mask != nullptr && mask[out] != 0;
        const PixelResult r = fit_pixel(model_, constants_, StridedTrace{trace_.data(), 1}, masked, weights);
        store_pixel_result(r, out, maps);
        fitted += r.fitted;
      }
    }
    return fitted;
  }

 private:
  PixelFitTables tables_;
  PixelFitConstants constants_;
  Model model_;
  std::vector<float> trace_;
  std::vector<float> weights_;
};

}  // namespace

void store_pixel_result(const PixelResult& r, std::size_t pixel, FitMaps& maps) {
  for (std::size_t a = 0; a < maps.value.size(); ++a) {
    maps.value[a][pixel] = r.value[a];
    maps.std_error[a][pixel] = r.std_error[a];
  }
  maps.chi2_reduced[pixel] = r.chi2_reduced;
  maps.status[pixel] = r.status;
  maps.iterations[pixel] = r.iterations;
}

std::unique_ptr<TileFitter> TileFitter::create_reference(const FitProblem& problem, const FitOptions& options) {
  options.validate();
  if (options.model == ModelKind::damped_cosine) {
    return std::make_unique<ReferenceTileFitter<DampedCosine>>(problem, options);
  }
  return std::make_unique<ReferenceTileFitter<DampedCosineExp>>(problem, options);
}

}  // namespace xpulse::fit
