#include "fit/fit_maps.h"

#include <limits>

#include "fit/fit_status.h"

namespace xpulse::fit {

FitMaps::FitMaps(std::size_t ny_, std::size_t nx_, ModelKind model_)
    : ny(ny_),
      nx(nx_),
      model(model_),
      value(static_cast<std::size_t>(parameter_count(model_)),
            std::vector<float>(ny_ * nx_, std::numeric_limits<float>::quiet_NaN())),
      std_error(value),
      chi2_reduced(ny_ * nx_, std::numeric_limits<float>::quiet_NaN()),
      status(ny_ * nx_, 0),
      iterations(ny_ * nx_, 0) {}

bool FitMaps::no_finite_input() const {
  std::size_t masked = 0, non_finite = 0;
  for (std::uint8_t s : status) {
    masked += s == static_cast<std::uint8_t>(FitStatus::masked);
    non_finite += s == static_cast<std::uint8_t>(FitStatus::non_finite_input);
  }
  return non_finite > 0 && non_finite == pixels() - masked;
}

}  // namespace xpulse::fit
