#include "fit/pixel_fit_tables.h"

namespace xpulse::fit {

PixelFitTables PixelFitTables::make(const FitProblem& problem, const FitOptions& options) {
  options.validate();
  PixelFitTables tables;
  tables.t = problem.t;
  tables.grid = SeedingGrid::make(tables.t, problem.max_frequency_thz);
  tables.steps = StepTable::make(tables.t);
  const SeedingGrid& g = tables.grid;
  PixelFitConstants& c = tables.scalars;
  c.n = static_cast<int>(tables.t.size());
  c.uniform = g.uniform;
  c.step = g.step;
  c.span = g.span;
  c.fft_size = static_cast<int>(g.fft_size);
  c.bin_lo = static_cast<int>(g.bin_lo);
  c.bin_hi = static_cast<int>(g.bin_hi);
  c.bin_thz = g.bin_thz;
  c.max_frequency = problem.max_frequency_thz;
  c.min_tau = static_cast<float>(g.step * 0.5);  // as CpuTileFitter sets the background model's bound
  c.step_count = tables.steps.count;
  for (int k = 0; k < tables.steps.count; ++k) c.steps[k] = tables.steps.step[k];
  c.max_iterations = options.lm.max_iterations;
  c.tolerance = options.lm.tolerance;
  c.initial_lambda = options.lm.initial_lambda;
  c.amp_threshold = options.amp_threshold;
  c.min_snr = options.min_snr;
  c.weights = options.weights;
  c.adu_per_photon = options.adu_per_photon;
  return tables;
}

PixelFitConstants PixelFitTables::host() const {
  PixelFitConstants c = scalars;
  c.t = t.data();
  c.left = grid.left.empty() ? nullptr : grid.left.data();
  c.weight = grid.weight.empty() ? nullptr : grid.weight.data();
  c.twiddle_cos = grid.twiddle_cos.data();
  c.twiddle_sin = grid.twiddle_sin.data();
  c.step_index = steps.index.empty() ? nullptr : steps.index.data();
  return c;
}

}  // namespace xpulse::fit
