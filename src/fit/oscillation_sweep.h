#pragma once
// The damped cosine's e^{-g t} cos(2 pi f t + phi), e^{-g t} sin(...) and the background's e^{-t / tau} at
// successive abscissae of a StepTable grid, by recurrence: z(t + h) = z(t) e^{(-g + 2 pi i f) h}, one complex
// multiplication per point instead of a sine, a cosine and an exponential. Held in double, so after 10^4 steps
// the values are still good to ~1e-12, far below the float model they feed.
//
// The scalar functions are the arithmetic of one trace; the lane sweeps run them across kLanes traces (the CPU
// solver) and the pixel sweeps for one (the per-pixel code of the CUDA kernels and their CPU twin), so every
// backend steps its traces identically.
#include <cmath>

#include "core/host_device.h"
#include "fit/lanes.h"
#include "fit/step_table.h"
#include "fit/vector_math.h"

namespace xpulse::fit {

// e^{-g t} (cos, sin)(2 pi f t + phi) at t >= 0 for frequency f (THz), damping g >= 0 (1/ps), phase phi (rad);
// with phi = 0 and t = h, the step factor of the recurrence.
XPULSE_HD inline void damped_phasor(double t, float f, float g, float phi, double& re, double& im) {
  const double turns = static_cast<double>(f) * t + static_cast<double>(phi) * (1.0 / kTwoPi);
  double s;
  double c;
  sincos_turns_double(turns - round_even(turns), s, c);
  const double e = exp_nonpositive_double(-static_cast<double>(g) * t);
  re = e * c;
  im = e * s;
}

// (re, im) *= (wr, wi), with explicit FMAs so that every backend and SIMD width rounds alike.
XPULSE_HD inline void rotate_phasor(double& re, double& im, double wr, double wi) {
  const double r = std::fma(re, wr, -(im * wi));
  im = std::fma(re, wi, im * wr);
  re = r;
}

// e^{-t / tau}, tau > 0, t >= 0.
XPULSE_HD inline double decay_factor(double t, float tau) { return exp_nonpositive_double(-t / static_cast<double>(tau)); }

// One trace.
struct PixelOscillationSweep {
  double re, im;
  double step_re[StepTable::kMaxSteps], step_im[StepTable::kMaxSteps];

  XPULSE_HD void start(const double* steps, int step_count, double t0, float f, float g, float phi) {
    damped_phasor(t0, f, g, phi, re, im);
    for (int k = 0; k < step_count; ++k) damped_phasor(steps[k], f, g, 0.0f, step_re[k], step_im[k]);
  }
  XPULSE_HD void advance(int step) { rotate_phasor(re, im, step_re[step], step_im[step]); }
};

struct PixelDecaySweep {
  double value;
  double factor[StepTable::kMaxSteps];

  XPULSE_HD void start(const double* steps, int step_count, double t0, float tau) {
    value = decay_factor(t0, tau);
    for (int k = 0; k < step_count; ++k) factor[k] = decay_factor(steps[k], tau);
  }
  XPULSE_HD void advance(int step) { value *= factor[step]; }
};

// kLanes traces.
struct OscillationSweep {
  alignas(64) double re[kLanes];  // e^{-g t} cos(2 pi f t + phi)
  alignas(64) double im[kLanes];  // e^{-g t} sin(2 pi f t + phi)
  alignas(64) double step_re[StepTable::kMaxSteps][kLanes];
  alignas(64) double step_im[StepTable::kMaxSteps][kLanes];

  void start(const StepTable& steps, double t0, const float (&f)[kLanes], const float (&g)[kLanes],
             const float (&phi)[kLanes]) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) damped_phasor(t0, f[l], g[l], phi[l], re[l], im[l]);
    for (int k = 0; k < steps.count; ++k) {
      const double h = steps.step[k];
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) damped_phasor(h, f[l], g[l], 0.0f, step_re[k][l], step_im[k][l]);
    }
  }

  void advance(int step) {
    const double* wr = step_re[step];
    const double* wi = step_im[step];
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) rotate_phasor(re[l], im[l], wr[l], wi[l]);
  }
};

struct DecaySweep {
  alignas(64) double value[kLanes];
  alignas(64) double factor[StepTable::kMaxSteps][kLanes];

  void start(const StepTable& steps, double t0, const float (&tau)[kLanes]) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) value[l] = decay_factor(t0, tau[l]);
    for (int k = 0; k < steps.count; ++k) {
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) factor[k][l] = decay_factor(steps.step[k], tau[l]);
    }
  }

  void advance(int step) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) value[l] *= factor[step][l];
  }
};

}  // namespace xpulse::fit
