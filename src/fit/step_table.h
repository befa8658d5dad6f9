#pragma once
// Abscissae as a start plus steps drawn from a few distinct values: uniform delay scans, and the piecewise-
// uniform ones (fine steps near time zero, coarse ones later) that pump-probe runs use. On such grids the
// models' exponentials and sinusoids advance by one multiplication per point (oscillation_sweep.h).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace xpulse::fit {

struct StepTable {
  static constexpr int kMaxSteps = 4;
  double step[kMaxSteps] = {};       // the distinct steps, ps
  int count = 0;                     // how many; 0 when the grid has more than kMaxSteps distinct steps
  std::vector<std::uint8_t> index;   // [n]: index[k] is the step from t[k-1] to t[k]; index[0] unused

  bool usable() const { return count > 0; }

  // Steps that differ by less than 1e-10 of themselves are one step: over 10^4 points the reconstructed
  // abscissae then stay within 1e-6 of a step of the real ones.
  static StepTable make(std::span<const double> t);
};

}  // namespace xpulse::fit
