#pragma once
// Starting parameters for the damped-cosine fits by linear prediction (REFERENCE.md section 1).
//
// 1. Traces on a non-uniform delay grid are linearly resampled onto a uniform one of the same length.
// 2. Linear prediction: a damped cosine plus offset obeys x[n+1] = a1 x[n] + a2 x[n-1] + b exactly.
//    (a1, a2, b) are estimated by instrumental variables, with the lagged samples x[n-2], x[n-3] as
//    instruments: unlike ordinary least squares this is not biased by white noise in the regressors.
//    Poles r e^{+-i w}: r = sqrt(-a2), cos w = a1 / (2 r), so f = w / (2 pi h) and g = -ln(r) / h.
// 3. Spectral check: at low signal-to-noise the prediction coefficients scatter, so the frequency is also
//    taken from the peak of the periodogram (FFT of the zero-padded series, lane_power_spectrum.h), the matched
//    filter for a cosine; the peak is refined from its neighbours' powers by direct DFT and parabolic
//    interpolation. Where the two agree within a frequency bin, the linear-prediction f and g are used;
//    otherwise the spectral f with g = 1 / span.
// 4. With f and g fixed, amplitude, phase and offset (and the background's B) follow from linear least
//    squares on the real delays: the phase comes from the data, never from phi = 0.
#include <cstddef>
#include <span>
#include <vector>

#include "fit/lane_power_spectrum.h"
#include "fit/seeding_grid.h"
#include "fit/step_table.h"

namespace xpulse::fit {

class DampedCosineSeeder {
 public:
  // t: fit abscissae (delay - t0, ps), increasing, >= 8 points. max_frequency in THz.
  DampedCosineSeeder(std::span<const double> t, float max_frequency);
  ~DampedCosineSeeder();
  DampedCosineSeeder(const DampedCosineSeeder&) = delete;
  DampedCosineSeeder& operator=(const DampedCosineSeeder&) = delete;

  // traces [count][n] -> seeds [count][5] (frequency, amplitude, damping, phase, offset).
  void seed(const float* traces, std::size_t count, float* seeds) const;
  // traces [count][n] -> seeds [count][7], adding background B and tau (DampedCosineExp).
  void seed_with_background(const float* traces, std::size_t count, float* seeds) const;

  double step() const { return grid_.step; }

 private:
  template <int K>
  void seed_lanes(const float* traces, std::size_t count, float* seeds) const;
  // Periodogram peak of the uniform series x [n][kLanes] of every lane, THz.
  void spectral_peak(const float* x, float* frequency) const;

  std::vector<double> t_;
  float max_frequency_;
  SeedingGrid grid_;
  StepTable steps_;
  mutable LanePowerSpectrum spectrum_;  // scratch: a seeder serves one thread
  mutable std::vector<float> power_;    // [fft_size / 2 + 1][kLanes] periodogram
};

}  // namespace xpulse::fit
