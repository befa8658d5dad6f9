// CPU backend of TileFitter: normalise each trace, seed by linear prediction, refine by the lane-parallel LM.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "fit/damped_cosine.h"
#include "fit/damped_cosine_exp.h"
#include "fit/damped_cosine_seed.h"
#include "fit/fit_status.h"
#include "fit/fit_weights.h"
#include "fit/lm_solver.h"
#include "fit/tile_fitter.h"
#include "fit/trace_moments.h"

namespace xpulse::fit {
namespace {

template <class Model>
class CpuTileFitter final : public TileFitter {
 public:
  static constexpr int P = Model::kParams;

  CpuTileFitter(const FitProblem& problem, const FitOptions& options)
      : problem_(problem), options_(options), seeder_(problem_.t, problem_.max_frequency_thz) {
    model_.max_frequency = problem_.max_frequency_thz;
    if constexpr (P == DampedCosineExp::kParams) model_.min_tau = static_cast<float>(seeder_.step() * 0.5);
  }

  std::size_t fit(const TileView& tile, const std::uint8_t* mask, FitMaps& maps) override {
    const std::size_t n = problem_.t.size();
    const std::size_t pixels = tile.height * tile.width;
    traces_.resize(pixels * n);
    if (weighted()) root_weights_.resize(pixels * n);
    pixel_.clear();
    mean_.clear();
    scale_.clear();
    dof_.clear();
    if (options_.weights == WeightKind::dataset && tile.weights == nullptr) {
      throw std::logic_error("CpuTileFitter: dataset weights asked for but the tile has none");
    }
    pixel_major(tile, tile.data, raw_);
    if (tile.weights != nullptr) pixel_major(tile, tile.weights, raw_weights_);
    for (std::size_t iy = 0; iy < tile.height; ++iy) {
      for (std::size_t ix = 0; ix < tile.width; ++ix) {
        const std::size_t out = (tile.y0 + iy) * maps.nx + tile.x0 + ix;
        if (mask != nullptr && mask[out] != 0) {
          maps.status[out] = static_cast<std::uint8_t>(FitStatus::masked);
          continue;
        }
        const std::size_t at = (iy * tile.width + ix) * n;
        prepare(&raw_[at], tile.weights != nullptr ? &raw_weights_[at] : nullptr, out, maps);
      }
    }
    const std::size_t count = pixel_.size();
    if (count == 0) return 0;
    seeds_.resize(count * P);
    params_.resize(count * P);
    inverse_diagonal_.resize(count * P);
    chi2_.resize(count);
    status_.resize(count);
    iterations_.resize(count);
    if constexpr (P == DampedCosine::kParams) {
      seeder_.seed(traces_.data(), count, seeds_.data());
    } else {
      seeder_.seed_with_background(traces_.data(), count, seeds_.data());
    }
    LmBatch<float, P> batch{problem_.t,         traces_.data(),  seeds_.data(), count,
                            params_.data(),     chi2_.data(),    inverse_diagonal_.data(),
                            status_.data(),     iterations_.data()};
    if (weighted()) batch.root_weights = root_weights_.data();
    solve_lm(model_, batch, options_.lm);
    store(maps);
    return count;
  }

 private:
  bool weighted() const { return options_.weights != WeightKind::none; }

  // The tile's values of `data` (laid out as tile.data) as [pixel][n]: frame rows are read contiguously, so
  // the frames' large, power-of-two strides never make every point of a trace miss the cache.
  void pixel_major(const TileView& tile, const float* data, std::vector<float>& into) const {
    constexpr std::size_t kAhead = 8;  // frames prefetched ahead: each frame is another page, out of the
                                       // hardware prefetchers' reach
    const std::size_t n = problem_.t.size(), w = tile.width;
    into.resize(tile.height * w * n);
    for (std::size_t k = 0; k < n; ++k) {
      const float* frame = data + k * tile.frame_stride;
      for (std::size_t iy = 0; iy < tile.height; ++iy) {
        const float* row = frame + iy * tile.row_stride;
        if (k + kAhead < n) {
          for (std::size_t ix = 0; ix < w; ix += 16) __builtin_prefetch(row + kAhead * tile.frame_stride + ix);
        }
        float* to = &into[iy * w * n + k];
        for (std::size_t ix = 0; ix < w; ++ix) to[ix * n] = row[ix];
      }
    }
  }

  // Reads one pixel's trace (and weights): a fittable trace is normalised (zero mean, unit rms over the points
  // of positive weight, so float arithmetic stays exact enough at any data scale) into traces_ and queued; any
  // other is classified. Points of weight 0 may hold anything; they are set to the mean, so that they do not
  // disturb the seeding either. The moments are those of the per-pixel code (trace_moments.h).
  void prepare(const float* src, const float* weight_src, std::size_t out, FitMaps& maps) {
    const std::size_t n = problem_.t.size();
    const int count = static_cast<int>(n);
    auto value = [&](int k) { return static_cast<double>(src[k]); };
    auto weight = [&](int k) {
      return weight_src != nullptr ? static_cast<double>(weight_src[k]) : poisson_weight(src[k], options_.adu_per_photon);
    };
    const TraceMoments m =
        weighted() ? trace_moments<true>(count, value, weight) : trace_moments<false>(count, value, weight);
    if (!m.valid || m.positive < static_cast<int>(kMinFitPoints)) {
      maps.status[out] = static_cast<std::uint8_t>(FitStatus::non_finite_input);
      return;
    }
    const double mean = m.mean;
    const double rms = std::sqrt(m.ss / static_cast<double>(m.positive));
    const double dof = static_cast<double>(m.positive) - P;
    if (!(rms > 1e-6 * std::max(std::abs(mean), 1e-30))) {  // flat trace: nothing oscillates
      maps.status[out] = static_cast<std::uint8_t>(FitStatus::no_signal);
      maps.value[DampedCosine::kAmplitude][out] = 0.0f;
      maps.value[DampedCosine::kOffset][out] = static_cast<float>(mean);
      maps.chi2_reduced[out] = static_cast<float>(m.weighted_ss / dof);
      return;
    }
    const std::size_t i = pixel_.size();
    float* dst = &traces_[i * n];
    const double inverse_rms = 1.0 / rms;
    if (!weighted()) {
#pragma omp simd
      for (std::size_t k = 0; k < n; ++k) dst[k] = static_cast<float>((static_cast<double>(src[k]) - mean) * inverse_rms);
    } else {  // the weights of the normalised residuals: w rms^2, as square roots
      float* root = &root_weights_[i * n];
      for (int k = 0; k < count; ++k) {
        const double w = weight(k);
        const bool dropped = !(w > 0.0);
        root[k] = static_cast<float>(std::sqrt(w) * rms);
        dst[k] = dropped ? 0.0f : static_cast<float>((value(k) - mean) * inverse_rms);
      }
    }
    pixel_.push_back(out);
    mean_.push_back(mean);
    scale_.push_back(rms);
    dof_.push_back(dof);
  }

  void store(FitMaps& maps) const {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (std::size_t i = 0; i < pixel_.size(); ++i) {
      const std::size_t out = pixel_[i];
      const double s = scale_[i];
      const double dof = dof_[i];
      // Unweighted: the noise is estimated from the residuals; weighted: the weights say it (fit_weights.h).
      const double variance_factor = weighted() ? 1.0 : chi2_[i] / dof;  // normalised units
      FitStatus status = status_[i];
      for (int a = 0; a < P; ++a) {
        // amplitude, offset and background scale with the data; the offset also gets the mean back
        const bool data_units = a == DampedCosine::kAmplitude || a == DampedCosine::kOffset ||
                                (P == DampedCosineExp::kParams && a == DampedCosineExp::kBackground);
        double value = params_[i * P + a];
        double error = std::sqrt(inverse_diagonal_[i * P + a] * variance_factor);
        if (data_units) {
          value *= s;
          error *= s;
        }
        if (a == DampedCosine::kOffset) value += mean_[i];
        maps.value[static_cast<std::size_t>(a)][out] = static_cast<float>(value);
        maps.std_error[static_cast<std::size_t>(a)][out] = static_cast<float>(error);
      }
      maps.chi2_reduced[out] = static_cast<float>(weighted() ? chi2_[i] / dof : chi2_[i] * s * s / dof);
      maps.iterations[out] = static_cast<std::uint16_t>(iterations_[i]);
      const double amplitude = maps.value[DampedCosine::kAmplitude][out];
      const double amplitude_error = maps.std_error[DampedCosine::kAmplitude][out];
      if (status != FitStatus::singular_hessian &&
          (amplitude < options_.amp_threshold || !(amplitude >= options_.min_snr * amplitude_error))) {
        status = FitStatus::no_signal;
        for (int a : {DampedCosine::kFrequency, DampedCosine::kDamping, DampedCosine::kPhase}) {
          maps.value[static_cast<std::size_t>(a)][out] = nan;
          maps.std_error[static_cast<std::size_t>(a)][out] = nan;
        }
      }
      maps.status[out] = static_cast<std::uint8_t>(status);
    }
  }

  FitProblem problem_;
  FitOptions options_;
  DampedCosineSeeder seeder_;
  Model model_;
  std::vector<float> raw_;      // [pixel][n] the tile's traces as read
  std::vector<float> raw_weights_;  // [pixel][n] their dataset weights
  std::vector<float> traces_;   // [pixel][n] normalised traces of the pixels that are fitted
  std::vector<float> root_weights_;  // [pixel][n] square roots of their normalised weights (weighted fits)
  std::vector<std::size_t> pixel_;
  std::vector<double> mean_;
  std::vector<double> scale_;
  std::vector<double> dof_;  // points with positive weight - parameters
  std::vector<float> seeds_;
  std::vector<float> params_;
  std::vector<double> inverse_diagonal_;
  std::vector<double> chi2_;
  std::vector<FitStatus> status_;
  std::vector<int> iterations_;
};

}  // namespace

std::unique_ptr<TileFitter> TileFitter::create_cpu(const FitProblem& problem, const FitOptions& options) {
  options.validate();
  if (options.model == ModelKind::damped_cosine) {
    return std::make_unique<CpuTileFitter<DampedCosine>>(problem, options);
  }
  return std::make_unique<CpuTileFitter<DampedCosineExp>>(problem, options);
}

}  // namespace xpulse::fit
