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

// Calls f(vector) for every map, in a fixed order.
template <class Maps, class F>
void for_each_map(Maps& m, F&& f) {
  for (auto& v : m.value) f(v);
  for (auto& v : m.std_error) f(v);
  f(m.chi2_reduced);
  f(m.status);
  f(m.iterations);
}

}  // namespace

void FitMaps::save_rows(std::size_t row, std::size_t rows, runtime::PayloadWriter& out) const {
  for_each_map(*this, [&](const auto& v) { out.put(std::span(v).subspan(row * nx, rows * nx)); });
}

void FitMaps::load_rows(std::size_t row, std::size_t rows, runtime::PayloadReader& in) {
  for_each_map(*this, [&](auto& v) { in.get(std::span(v).subspan(row * nx, rows * nx)); });
}

void FitMaps::copy_rows(const FitMaps& source, std::size_t source_row, std::size_t row, std::size_t rows) {
  for (std::size_t a = 0; a < value.size(); ++a) {
    std::copy_n(source.value[a].begin() + static_cast<std::ptrdiff_t>(source_row * nx), rows * nx,
                value[a].begin() + static_cast<std::ptrdiff_t>(row * nx));
    std::copy_n(source.std_error[a].begin() + static_cast<std::ptrdiff_t>(source_row * nx), rows * nx,
                std_error[a].begin() + static_cast<std::ptrdiff_t>(row * nx));
  }
  const auto copy = [&](const auto& s, auto& d) {
    std::copy_n(s.begin() + static_cast<std::ptrdiff_t>(source_row * nx), rows * nx,
                d.begin() + static_cast<std::ptrdiff_t>(row * nx));
  };
  copy(source.chi2_reduced, chi2_reduced);
  copy(source.status, status);
  copy(source.iterations, iterations);
}

}  // namespace xpulse::fit
