#pragma once
// How closely two fit backends agree on the same data: the CUDA consistency criteria (same status for
// >= 99.9% of pixels, parameters within a relative tolerance where both converge, identical masked and
// no-signal handling), measured so that a test can assert them and print what it saw.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <ostream>
#include <string>

#include "fit/fit_maps.h"
#include "fit/fit_status.h"

namespace xpulse::fit {

struct BackendAgreement {
  std::size_t pixels = 0;
  std::size_t same_status = 0;
  std::size_t both_converged = 0;
  std::size_t within_tolerance = 0;  // of both_converged: every parameter within the tolerance
  std::size_t masked_mismatch = 0;   // masked in one, not in the other
  std::size_t flat_mismatch = 0;     // no_signal without a fit (flat) in one, not in the other
  double worst = 0.0;                // largest relative parameter difference where both converged
  std::string worst_parameter;
  std::size_t worst_pixel = 0;
  // Largest parameter difference in units of the reference's standard error, where both converged (how far
  // apart the two are measured against what the data determine).
  double worst_in_sigma = 0.0;

  double status_fraction() const { return pixels ? static_cast<double>(same_status) / pixels : 0.0; }
};

inline std::ostream& operator<<(std::ostream& os, const BackendAgreement& a) {
  return os << a.same_status << "/" << a.pixels << " same status, " << a.within_tolerance << "/" << a.both_converged
            << " converged pixels within tolerance, worst " << a.worst << " (" << a.worst_parameter << " at pixel "
            << a.worst_pixel << "), worst " << a.worst_in_sigma << " standard errors, masked mismatches " << a.masked_mismatch << ", flat mismatches "
            << a.flat_mismatch;
}

// Relative difference of parameter `a` of two fits: |x - y| / max(|x|, |y|); the phase as a fraction of a
// cycle (it is an angle), and rates below `small_rate` (1/ps) compared on that scale.
inline double parameter_difference(std::size_t a, double x, double y, double small_rate) {
  if (a == 3) {
    const double d = x - y;
    return std::abs(d - 2.0 * std::numbers::pi * std::round(d / (2.0 * std::numbers::pi))) / (2.0 * std::numbers::pi);
  }
  double scale = std::max(std::abs(x), std::abs(y));
  if (a == 2) scale = std::max(scale, small_rate);
  return scale > 0.0 ? std::abs(x - y) / scale : 0.0;
}

inline BackendAgreement compare_backends(const FitMaps& reference, const FitMaps& other, double tolerance,
                                         double small_rate) {
  BackendAgreement r;
  static const char* names[] = {"frequency", "amplitude", "damping", "phase", "offset", "background",
                                "background_tau"};
  r.pixels = reference.pixels();
  for (std::size_t i = 0; i < r.pixels; ++i) {
    const auto s0 = static_cast<FitStatus>(reference.status[i]);
    const auto s1 = static_cast<FitStatus>(other.status[i]);
    r.same_status += s0 == s1;
    r.masked_mismatch += (s0 == FitStatus::masked) != (s1 == FitStatus::masked);
    const bool flat0 = s0 == FitStatus::no_signal && reference.iterations[i] == 0;
    const bool flat1 = s1 == FitStatus::no_signal && other.iterations[i] == 0;
    r.flat_mismatch += flat0 != flat1;
    if (s0 != FitStatus::converged || s1 != FitStatus::converged) continue;
    ++r.both_converged;
    bool ok = true;
    for (std::size_t a = 0; a < reference.value.size(); ++a) {
      const double d = parameter_difference(a, reference.value[a][i], other.value[a][i], small_rate);
      ok &= d <= tolerance;
      const double sigma = reference.std_error[a][i];
      if (std::isfinite(sigma) && sigma > 0.0) {
        double delta = std::abs(static_cast<double>(reference.value[a][i]) - other.value[a][i]);
        if (a == 3) delta = parameter_difference(a, reference.value[a][i], other.value[a][i], 0.0) * 2.0 * std::numbers::pi;
        r.worst_in_sigma = std::max(r.worst_in_sigma, delta / sigma);
      }
      if (d > r.worst) {
        r.worst = d;
        r.worst_parameter = names[a];
        r.worst_pixel = i;
      }
    }
    r.within_tolerance += ok;
  }
  return r;
}

}  // namespace xpulse::fit
