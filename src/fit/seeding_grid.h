#pragma once
// What the linear-prediction seeding derives once from the fitted delays: the uniform grid the traces are
// resampled onto, the resampling weights, and the zero-padded periodogram's bins and twiddles. Shared by the
// CPU seeder (damped_cosine_seed.h) and the per-pixel seeder (pixel_fit.h) so both seed on the same grid.
#include <cstddef>
#include <span>
#include <vector>

namespace xpulse::fit {

struct SeedingGrid {
  bool uniform = true;        // the delays are uniform to 1e-6 of a step (no resampling)
  double step = 0.0;          // uniform grid step, ps
  double span = 0.0;          // t.back() - t.front(), ps
  std::vector<int> left;      // non-uniform only: uniform point j lies between t[left[j]] and t[left[j] + 1]
  std::vector<float> weight;  // non-uniform only: weight of the right neighbour
  std::size_t fft_size = 0;   // zero-padded length m, a power of two >= 2n
  double bin_thz = 0.0;       // 1 / (m step)
  std::size_t bin_lo = 1;     // bins searched for the peak: above half a cycle per span ...
  std::size_t bin_hi = 1;     // ... and up to max_frequency (inclusive)
  std::vector<float> twiddle_cos, twiddle_sin;  // cos, sin of 2 pi k / m

  // t: fit abscissae (ps), increasing, >= 2 points. max_frequency in THz.
  static SeedingGrid make(std::span<const double> t, float max_frequency);
};

}  // namespace xpulse::fit
