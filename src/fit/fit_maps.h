#pragma once
// Per-pixel fit results for a whole detector, [ny][nx] row-major, as written to /fit.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fit/fit_problem.h"

namespace xpulse::fit {

struct FitMaps {
  FitMaps(std::size_t ny, std::size_t nx, ModelKind model);

  std::size_t ny;
  std::size_t nx;
  ModelKind model;
  std::vector<std::vector<float>> value;   // [parameter][pixel], units of parameter_units()
  std::vector<std::vector<float>> std_error;  // [parameter][pixel], same units; NaN where undefined
  std::vector<float> chi2_reduced;         // sum of squared residuals / (n - parameters), data units^2
  std::vector<std::uint8_t> status;        // FitStatus
  std::vector<std::uint16_t> iterations;   // LM trial steps

  std::size_t pixels() const { return ny * nx; }
  // True when every unmasked pixel had non-finite input (and there was one): the data, not the fit, are bad.
  bool no_finite_input() const;
};

}  // namespace xpulse::fit
