#include "fit/fit_problem.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "fit/damped_cosine.h"
#include "fit/damped_cosine_exp.h"

namespace xpulse::fit {

std::string_view to_string(ModelKind model) {
  return model == ModelKind::damped_cosine ? "damped-cosine" : "damped-cosine-exp";
}

ModelKind parse_model(std::string_view name) {
  if (name == "damped-cosine") return ModelKind::damped_cosine;
  if (name == "damped-cosine-exp") return ModelKind::damped_cosine_exp;
  throw InvalidArgument(
      fmt::format("--model '{}' is not known; use damped-cosine or damped-cosine-exp", name));
}

std::string_view to_string(WeightKind kind) {
  switch (kind) {
    case WeightKind::none: return "none";
    case WeightKind::poisson: return "poisson";
    case WeightKind::dataset: return "dataset";
  }
  return "none";
}

int parameter_count(ModelKind model) {
  return model == ModelKind::damped_cosine ? DampedCosine::kParams : DampedCosineExp::kParams;
}

std::vector<std::string_view> parameter_names(ModelKind model) {
  const auto& names = DampedCosineExp::kNames;
  return {names.begin(), names.begin() + parameter_count(model)};
}

std::vector<std::string_view> parameter_units(ModelKind model) {
  std::vector<std::string_view> units = {"THz", "data", "1/ps", "rad", "data", "data", "ps"};
  units.resize(static_cast<std::size_t>(parameter_count(model)));
  return units;
}

void FitOptions::validate() const {
  lm.validate();
  if (!std::isfinite(t0_ps)) throw InvalidArgument("--t0 must be a finite delay in ps");
  if (!(amp_threshold >= 0.0) || !std::isfinite(amp_threshold)) {
    throw InvalidArgument(fmt::format("--amp-threshold must be >= 0, got {}", amp_threshold));
  }
  if (!(min_snr >= 0.0) || !std::isfinite(min_snr)) {
    throw InvalidArgument(fmt::format("--min-snr must be >= 0, got {}", min_snr));
  }
  if (!(adu_per_photon > 0.0) || !std::isfinite(adu_per_photon)) {
    throw InvalidArgument(fmt::format("--adu-per-photon must be a positive number, got {}", adu_per_photon));
  }
}

FitProblem FitProblem::make(std::span<const double> delays_ps, const FitOptions& options) {
  for (std::size_t k = 0; k < delays_ps.size(); ++k) {
    if (!std::isfinite(delays_ps[k])) {
      throw InputError(fmt::format("delays: value {} at index {} is not finite", delays_ps[k], k));
    }
    if (k > 0 && !(delays_ps[k] > delays_ps[k - 1])) {
      throw InputError(fmt::format(
          "delays must be strictly increasing: delay[{}] = {} ps follows delay[{}] = {} ps ({})", k,
          delays_ps[k], k - 1, delays_ps[k - 1], delays_ps[k] == delays_ps[k - 1] ? "duplicate" : "decreasing"));
    }
  }
  FitProblem problem;
  problem.first_delay = static_cast<std::size_t>(
      std::lower_bound(delays_ps.begin(), delays_ps.end(), options.t0_ps) - delays_ps.begin());
  const std::size_t n = delays_ps.size() - problem.first_delay;
  if (n < kMinFitPoints) {
    throw InputError(fmt::format("only {} delays at or after t0 = {} ps; the fit needs at least {}", n,
                                 options.t0_ps, kMinFitPoints));
  }
  problem.t.reserve(n);
  for (std::size_t k = problem.first_delay; k < delays_ps.size(); ++k) {
    problem.t.push_back(delays_ps[k] - options.t0_ps);
  }
  std::vector<double> spacing(n - 1);
  for (std::size_t k = 1; k < n; ++k) spacing[k - 1] = problem.t[k] - problem.t[k - 1];
  std::nth_element(spacing.begin(), spacing.begin() + static_cast<std::ptrdiff_t>(spacing.size() / 2),
                   spacing.end());
  problem.max_frequency_thz = static_cast<float>(0.5 / spacing[spacing.size() / 2]);
  return problem;
}

}  // namespace xpulse::fit
