#include "fit/pixel_fit_tables.h"

#include <algorithm>
#include <cmath>

#include "fit/vector_math.h"

namespace xpulse::fit {

PixelFitTables PixelFitTables::make(const FitProblem& problem, const FitOptions& options) {
  options.validate();
  PixelFitTables tables;
  PixelFitConstants& c = tables.scalars;
  tables.t = problem.t;
  const std::vector<double>& t = tables.t;
  const std::size_t n = t.size();
  c.n = static_cast<int>(n);
  // The same grid as DampedCosineSeeder's constructor.
  c.span = t.back() - t.front();
  c.step = c.span / static_cast<double>(n - 1);
  for (std::size_t k = 1; k < n; ++k) {
    if (std::abs((t[k] - t[k - 1]) - c.step) > 1e-6 * c.step) c.uniform = false;
  }
  std::size_t m = 1;
  while (m < 2 * n) m *= 2;
  c.fft_size = static_cast<int>(m);
  c.max_frequency = problem.max_frequency_thz;
  c.bin_thz = 1.0 / (static_cast<double>(m) * c.step);
  c.bin_lo = static_cast<int>(std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(0.5 / c.span / c.bin_thz))));
  c.bin_hi = static_cast<int>(std::min(m / 2 - 1, static_cast<std::size_t>(c.max_frequency / c.bin_thz)));
  if (!c.uniform) {
    tables.left.resize(n);
    tables.weight.resize(n);
    std::size_t i = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const double tj = t.front() + c.step * static_cast<double>(j);
      while (i + 2 < n && t[i + 1] <= tj) ++i;
      tables.left[j] = static_cast<int>(i);
      tables.weight[j] = static_cast<float>(std::clamp((tj - t[i]) / (t[i + 1] - t[i]), 0.0, 1.0));
    }
  }
  tables.twiddle_cos.resize(m);
  tables.twiddle_sin.resize(m);
  for (std::size_t k = 0; k < m; ++k) {
    const double angle = kTwoPi * static_cast<double>(k) / static_cast<double>(m);
    tables.twiddle_cos[k] = static_cast<float>(std::cos(angle));
    tables.twiddle_sin[k] = static_cast<float>(std::sin(angle));
  }
  c.min_tau = static_cast<float>(c.step * 0.5);
  c.max_iterations = options.lm.max_iterations;
  c.tolerance = options.lm.tolerance;
  c.initial_lambda = options.lm.initial_lambda;
  c.amp_threshold = options.amp_threshold;
  c.min_snr = options.min_snr;
  return tables;
}

PixelFitConstants PixelFitTables::host() const {
  PixelFitConstants c = scalars;
  c.t = t.data();
  c.left = left.empty() ? nullptr : left.data();
  c.weight = weight.empty() ? nullptr : weight.data();
  c.twiddle_cos = twiddle_cos.data();
  c.twiddle_sin = twiddle_sin.data();
  return c;
}

}  // namespace xpulse::fit
