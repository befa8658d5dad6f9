#include "fit/lm_options.h"

#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::fit {

void LmOptions::validate() const {
  if (max_iterations < 1) {
    throw InvalidArgument(fmt::format("--max-iterations must be >= 1, got {}", max_iterations));
  }
  if (!(tolerance > 0.0) || !std::isfinite(tolerance)) {
    throw InvalidArgument(fmt::format("--tolerance must be a positive number, got {}", tolerance));
  }
  if (!(initial_lambda > 0.0) || !std::isfinite(initial_lambda)) {
    throw InvalidArgument(fmt::format("initial LM lambda must be positive, got {}", initial_lambda));
  }
}

}  // namespace xpulse::fit
