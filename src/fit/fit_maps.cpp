#include "fit/fit_maps.h"

#include <limits>

#include <algorithm>
#include <span>

#include "fit/fit_status.h"
#include "runtime/journal.h"

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

namespace {

// Calls f with the same map of each of `maps` (all of one model), for every map in a fixed order.
template <class F, class First, class... Rest>
void for_each_map(F&& f, First& first, Rest&... rest) {
  for (std::size_t a = 0; a < first.value.size(); ++a) f(first.value[a], rest.value[a]...);
  for (std::size_t a = 0; a < first.std_error.size(); ++a) f(first.std_error[a], rest.std_error[a]...);
  f(first.chi2_reduced, rest.chi2_reduced...);
  f(first.status, rest.status...);
  f(first.iterations, rest.iterations...);
}

}  // namespace

void FitMaps::save_rows(std::size_t row, std::size_t rows, runtime::PayloadWriter& out) const {
  for_each_map([&](const auto& v) { out.put(std::span(v).subspan(row * nx, rows * nx)); }, *this);
}

void FitMaps::load_rows(std::size_t row, std::size_t rows, runtime::PayloadReader& in) {
  for_each_map([&](auto& v) { in.get(std::span(v).subspan(row * nx, rows * nx)); }, *this);
}

void FitMaps::copy_rows(const FitMaps& source, std::size_t source_row, std::size_t row, std::size_t rows) {
  for_each_map(
      [&](auto& to, const auto& from) {
        std::copy_n(from.begin() + static_cast<std::ptrdiff_t>(source_row * nx), rows * nx,
                    to.begin() + static_cast<std::ptrdiff_t>(row * nx));
      },
      *this, source);
}

}  // namespace xpulse::fit
