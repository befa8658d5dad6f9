#pragma once
// The tables behind PixelFitConstants (delays, resampling weights, DFT twiddles), built once per fit on the
// host; the CUDA backend copies them to each device and points its constants there.
#include <vector>

#include "fit/fit_problem.h"
#include "fit/pixel_fit.h"
#include "fit/seeding_grid.h"

namespace xpulse::fit {

struct PixelFitTables {
  std::vector<double> t;
  SeedingGrid grid;
  StepTable steps;
  PixelFitConstants scalars;  // every field but the pointers

  static PixelFitTables make(const FitProblem& problem, const FitOptions& options);
  // The constants pointing at these host vectors (valid while this object lives and is not moved).
  PixelFitConstants host() const;
};

}  // namespace xpulse::fit
