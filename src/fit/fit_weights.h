#pragma once
// Per-point weights of the least-squares fit, 1 / sigma^2 in 1 / (data units)^2.
//
// none:    every point weighs 1; chi2 is in (data units)^2 and the standard errors are scaled by the reduced
//          chi2 (scipy's curve_fit with absolute_sigma=False).
// poisson: sigma^2 of a value I (data units, g data units per photon) is g max(I, g): photon counting with the
//          count itself as the variance (Neyman's chi2; at least one photon so that empty points keep a
//          finite weight). chi2 is dimensionless and the standard errors come from the weights alone
//          (absolute_sigma=True): for a right model the reduced chi2 is ~1, and a large one says the model
//          or the gain is wrong. Below ~20 photons per point the observed-count variance biases the fit.
// dataset: weights read from a dataset shaped like the stack; 0 drops a point, negative or non-finite
//          weights make the pixel non_finite_input. Errors as for poisson.
#include <string>
#include <string_view>

#include "core/host_device.h"

namespace xpulse::fit {

enum class WeightKind { none, poisson, dataset };
std::string_view to_string(WeightKind kind);

// 1 / sigma^2 of a value in data units under Poisson statistics, g = data units per photon.
XPULSE_HD inline double poisson_weight(double value, double adu_per_photon) {
  return 1.0 / (adu_per_photon * (value > adu_per_photon ? value : adu_per_photon));
}

}  // namespace xpulse::fit
