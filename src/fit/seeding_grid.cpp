#include "fit/seeding_grid.h"

#include <algorithm>
#include <cmath>

#include "fit/vector_math.h"

namespace xpulse::fit {

SeedingGrid SeedingGrid::make(std::span<const double> t, float max_frequency) {
  SeedingGrid g;
  const std::size_t n = t.size();
  g.span = t.back() - t.front();
  g.step = g.span / static_cast<double>(n - 1);
  for (std::size_t k = 1; k < n; ++k) {
    if (std::abs((t[k] - t[k - 1]) - g.step) > 1e-6 * g.step) g.uniform = false;
  }
  if (!g.uniform) {
    g.left.resize(n);
    g.weight.resize(n);
    std::size_t i = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const double tj = t.front() + g.step * static_cast<double>(j);
      while (i + 2 < n && t[i + 1] <= tj) ++i;
      g.left[j] = static_cast<int>(i);
      g.weight[j] = static_cast<float>(std::clamp((tj - t[i]) / (t[i + 1] - t[i]), 0.0, 1.0));
    }
  }
  g.fft_size = 1;
  while (g.fft_size < 2 * n) g.fft_size *= 2;
  const std::size_t m = g.fft_size;
  g.bin_thz = 1.0 / (static_cast<double>(m) * g.step);
  // Slower "oscillations" than half a cycle per span are offset drifts.
  g.bin_lo = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(0.5 / g.span / g.bin_thz)));
  g.bin_hi = std::min(m / 2 - 1, static_cast<std::size_t>(max_frequency / g.bin_thz));
  g.twiddle_cos.resize(m);
  g.twiddle_sin.resize(m);
  for (std::size_t k = 0; k < m; ++k) {
    const double angle = kTwoPi * static_cast<double>(k) / static_cast<double>(m);
    g.twiddle_cos[k] = static_cast<float>(std::cos(angle));
    g.twiddle_sin[k] = static_cast<float>(std::sin(angle));
  }
  return g;
}

}  // namespace xpulse::fit
