#pragma once
// Per-pixel outcome of a fit, stored as uint8 in /fit/status.
#include <cstdint>
#include <string_view>

namespace xpulse::fit {

enum class FitStatus : std::uint8_t {
  converged = 0,         // |d chi2| < tolerance * max(1, chi2) on the normalised trace
  max_iterations = 1,    // iteration limit reached before convergence; parameters are the best found
  singular_hessian = 2,  // the damped normal equations could not be solved; parameters are the last good ones
  masked = 3,            // pixel flagged bad in the mask; not fitted
  no_signal = 4,         // flat trace, or amplitude below --amp-threshold / --min-snr; no oscillation reported
  non_finite_input = 5,  // NaN or Inf among the trace's points after t0; not fitted
};
inline constexpr int kFitStatusCount = 6;

std::string_view to_string(FitStatus status);

// "0=converged, 1=max_iterations, ..." for file attributes and --help.
std::string_view fit_status_legend();

}  // namespace xpulse::fit
