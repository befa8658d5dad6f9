#include "fit/fit_maps.h"

#include <limits>

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

}  // namespace xpulse::fit
