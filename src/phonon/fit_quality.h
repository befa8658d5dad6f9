#pragma once
// Which fitted pixels are good enough to enter a dispersion: fit status, reduced chi2 and amplitude SNR.
#include <array>
#include <cstdint>
#include <limits>
#include <string>

#include "fit/fit_status.h"

namespace xpulse::phonon {

struct FitQuality {
  std::array<bool, fit::kFitStatusCount> accepted_status{true};  // default: converged only
  double max_chi2 = std::numeric_limits<double>::infinity();     // reduced chi2, data units^2
  double min_snr = 5.0;                                          // amplitude / stderr(amplitude)
  void validate() const;                                         // throws InvalidArgument

  // Also requires a finite positive frequency with a finite positive standard error.
  bool accepts(std::uint8_t status, float chi2, float amplitude, float amplitude_err, float frequency,
               float frequency_err) const;
  std::string describe() const;  // "status in {converged}, chi2 <= inf, amplitude SNR >= 5"
};

// Parses "converged,max_iterations" (names or codes) into accepted statuses; throws InvalidArgument.
std::array<bool, fit::kFitStatusCount> parse_statuses(const std::string& list);

}  // namespace xpulse::phonon
