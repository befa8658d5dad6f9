// The public pump-probe fit (include/xpulse/pump_probe.h) over the internal band fitter.
#include "xpulse/pump_probe.h"

#include <span>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"
#include "fit/band_fitter.h"
#include "fit/fit_maps.h"
#include "fit/fit_problem.h"
#include "fit/fit_status.h"
#include "runtime/thread_pool.h"

namespace xpulse {
namespace {

fit::FitOptions internal_options(const PumpProbeFitOptions& given) {
  fit::FitOptions options;
  options.model = fit::parse_model(given.model);
  options.t0_ps = given.t0_ps;
  if (given.max_iterations) options.lm.max_iterations = *given.max_iterations;
  if (given.tolerance) options.lm.tolerance = *given.tolerance;
  if (given.amp_threshold) options.amp_threshold = *given.amp_threshold;
  if (given.min_snr) options.min_snr = *given.min_snr;
  if (given.weights == "none") {
    options.weights = fit::WeightKind::none;
  } else if (given.weights == "poisson") {
    options.weights = fit::WeightKind::poisson;
  } else if (given.weights == "array") {
    options.weights = fit::WeightKind::dataset;
    if (given.point_weights == nullptr) throw InvalidArgument("weights \"array\" needs point_weights");
  } else {
    throw InvalidArgument(fmt::format("weights '{}' is not known; use none, poisson or array", given.weights));
  }
  options.adu_per_photon = given.adu_per_photon;
  options.validate();
  return options;
}

PumpProbeFit public_result(fit::FitMaps&& maps) {
  PumpProbeFit out;
  out.traces = maps.pixels();
  for (const auto name : fit::parameter_names(maps.model)) out.parameters.emplace_back(name);
  out.value = std::move(maps.value);
  out.std_error = std::move(maps.std_error);
  out.chi2 = std::move(maps.chi2_reduced);
  out.status.reserve(out.traces);
  for (const std::uint8_t s : maps.status) out.status.push_back(static_cast<TraceStatus>(s));
  out.iterations = std::move(maps.iterations);
  return out;
}

}  // namespace

PumpProbeFit fit_pump_probe(const float* data, std::size_t n_delays, std::size_t n_traces,
                            const std::vector<double>& delays_ps, const PumpProbeFitOptions& given,
                            const std::uint8_t* mask) {
  if (data == nullptr || n_delays == 0 || n_traces == 0) throw InputError("data is empty");
  if (delays_ps.size() != n_delays) {
    throw InputError(fmt::format("delays have {} values but data has {} delays", delays_ps.size(), n_delays));
  }
  const fit::FitOptions options = internal_options(given);
  const fit::FitProblem problem = fit::FitProblem::make(std::span<const double>(delays_ps), options);
  fit::BandFitterOptions backend;
  backend.threads = given.threads == 0 ? runtime::default_thread_count() : given.threads;
  fit::FitMaps maps(1, n_traces, options.model);
  const auto fitter = fit::BandFitter::create(problem, options, backend);
  const float* weights =
      options.weights == fit::WeightKind::dataset ? given.point_weights + problem.first_delay * n_traces : nullptr;
  fitter->fit(fit::Band{data + problem.first_delay * n_traces, 1, n_traces, 0, weights}, mask, maps);
  if (maps.no_finite_input()) {
    throw InputError("data has no finite values after t0 in any unmasked trace (all NaN/Inf)");
  }
  return public_result(std::move(maps));
}

const std::vector<float>& PumpProbeFit::operator[](const std::string& parameter) const {
  for (std::size_t a = 0; a < parameters.size(); ++a) {
    if (parameters[a] == parameter) return value[a];
  }
  throw InvalidArgument(fmt::format("the fit has no parameter '{}' (it has: {})", parameter,
                                    fmt::join(parameters, ", ")));
}

std::string to_string(TraceStatus status) {
  return std::string(fit::to_string(static_cast<fit::FitStatus>(status)));
}

}  // namespace xpulse
