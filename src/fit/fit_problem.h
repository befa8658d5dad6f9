#pragma once
// What every pixel's fit shares: the model, the delays it uses, the solver and classification options.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "fit/fit_weights.h"
#include "fit/lm_options.h"

namespace xpulse::fit {

enum class ModelKind { damped_cosine, damped_cosine_exp };
std::string_view to_string(ModelKind model);
ModelKind parse_model(std::string_view name);  // throws InvalidArgument
int parameter_count(ModelKind model);
std::vector<std::string_view> parameter_names(ModelKind model);
std::vector<std::string_view> parameter_units(ModelKind model);  // "THz", "data", "1/ps", "rad", ...

struct FitOptions {
  ModelKind model = ModelKind::damped_cosine;
  LmOptions lm;
  double t0_ps = 0.0;           // delays before t0 are excluded; the model's time is delay - t0
  double amp_threshold = 0.0;   // NO_SIGNAL below this amplitude (data units)
  double min_snr = 4.0;         // NO_SIGNAL when amplitude / stderr(amplitude) is below this (4 sigma:
                                // below it the linearised standard errors stop being honest)
  WeightKind weights = WeightKind::none;  // fit_weights.h
  double adu_per_photon = 1.0;  // data units per photon (poisson weights)
  void validate() const;
};

inline constexpr std::size_t kMinFitPoints = 8;

// The delays actually fitted, derived once from the file's delays and t0.
struct FitProblem {
  std::size_t first_delay = 0;    // index of the first delay >= t0
  std::vector<double> t;          // delay - t0 for the fitted delays, ps
  float max_frequency_thz = 0.0f; // Nyquist of the median spacing of the fitted delays

  // Validates the delays (finite, strictly increasing, >= kMinFitPoints after t0); throws InputError.
  static FitProblem make(std::span<const double> delays_ps, const FitOptions& options);
};

}  // namespace xpulse::fit
