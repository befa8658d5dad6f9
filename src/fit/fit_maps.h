#pragma once
// Per-pixel fit results for a whole detector, [ny][nx] row-major, as written to /fit.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fit/fit_problem.h"

namespace xpulse::runtime {
class PayloadWriter;
class PayloadReader;
}  // namespace xpulse::runtime

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

  // Rows [row, row + rows) of every map: appended to a payload (a journal record) and read back.
  void save_rows(std::size_t row, std::size_t rows, runtime::PayloadWriter& out) const;
  void load_rows(std::size_t row, std::size_t rows, runtime::PayloadReader& in);
  // Copies rows [source_row, source_row + rows) of `source` (same width and model) to rows [row, ...) here.
  void copy_rows(const FitMaps& source, std::size_t source_row, std::size_t row, std::size_t rows);
};

}  // namespace xpulse::fit
