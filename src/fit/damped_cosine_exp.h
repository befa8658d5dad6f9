#pragma once
// Damped cosine plus an incoherent recovery: I(t) = C + A exp(-g t) cos(2 pi f t + phi) + B exp(-t / tau).
// Same units and bounds as DampedCosine; B in data units (either sign), tau in ps, tau >= min_tau.
#include <array>
#include <string_view>

#include "fit/damped_cosine.h"

namespace xpulse::fit {

struct DampedCosineExp {
  using Scalar = float;
  static constexpr int kParams = 7;
  enum Index { kFrequency = 0, kAmplitude = 1, kDamping = 2, kPhase = 3, kOffset = 4, kBackground = 5, kTau = 6 };
  static constexpr std::array<std::string_view, kParams> kNames = {
      "frequency", "amplitude", "damping", "phase", "offset", "background", "background_tau"};

  float max_frequency = 1e30f;  // THz
  float min_tau = 1e-3f;        // ps

  void evaluate(double t, const float (&p)[kParams][kLanes], float (&value)[kLanes],
                float (&gradient)[kParams][kLanes]) const {
    const float tf = static_cast<float>(t);
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      const Oscillation o = damped_oscillation(t, p[kFrequency][l], p[kAmplitude][l], p[kDamping][l], p[kPhase][l]);
      const float inv_tau = 1.0f / p[kTau][l];
      const float b = exp_nonpositive(-tf * inv_tau);
      value[l] = p[kOffset][l] + o.value + p[kBackground][l] * b;
      gradient[kFrequency][l] = o.d_frequency;
      gradient[kAmplitude][l] = o.d_amplitude;
      gradient[kDamping][l] = o.d_damping;
      gradient[kPhase][l] = o.d_phase;
      gradient[kOffset][l] = 1.0f;
      gradient[kBackground][l] = b;
      gradient[kTau][l] = p[kBackground][l] * b * tf * inv_tau * inv_tau;
    }
  }

  // evaluate() on a StepTable grid (see DampedCosine).
  struct Sweep {
    OscillationSweep oscillation;
    DecaySweep background;
  };
  void start_sweep(Sweep& sweep, const StepTable& steps, double t0, const float (&p)[kParams][kLanes]) const {
    sweep.oscillation.start(steps, t0, p[kFrequency], p[kDamping], p[kPhase]);
    sweep.background.start(steps, t0, p[kTau]);
  }
  static void advance_sweep(Sweep& sweep, int step) {
    sweep.oscillation.advance(step);
    sweep.background.advance(step);
  }
  void evaluate_swept(double t, const Sweep& sweep, const float (&p)[kParams][kLanes], float (&value)[kLanes],
                      float (&gradient)[kParams][kLanes]) const {
    const float tf = static_cast<float>(t);
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      const Oscillation o =
          swept_oscillation(tf, p[kAmplitude][l], sweep.oscillation.re[l], sweep.oscillation.im[l]);
      const float inv_tau = 1.0f / p[kTau][l];
      const float b = static_cast<float>(sweep.background.value[l]);
      value[l] = p[kOffset][l] + o.value + p[kBackground][l] * b;
      gradient[kFrequency][l] = o.d_frequency;
      gradient[kAmplitude][l] = o.d_amplitude;
      gradient[kDamping][l] = o.d_damping;
      gradient[kPhase][l] = o.d_phase;
      gradient[kOffset][l] = 1.0f;
      gradient[kBackground][l] = b;
      gradient[kTau][l] = p[kBackground][l] * b * tf * inv_tau * inv_tau;
    }
  }

  // One trace on a StepTable grid: the same arithmetic as a lane of evaluate_swept().
  struct PixelSweep {
    PixelOscillationSweep oscillation;
    PixelDecaySweep background;
  };
  XPULSE_HD void start_pixel_sweep(PixelSweep& sweep, const double* steps, int step_count, double t0,
                                   const float* p) const {
    sweep.oscillation.start(steps, step_count, t0, p[kFrequency], p[kDamping], p[kPhase]);
    sweep.background.start(steps, step_count, t0, p[kTau]);
  }
  XPULSE_HD static void advance_pixel_sweep(PixelSweep& sweep, int step) {
    sweep.oscillation.advance(step);
    sweep.background.advance(step);
  }
  XPULSE_HD void evaluate_swept_one(double t, const PixelSweep& sweep, const float* p, float& value,
                                    float* gradient) const {
    const float tf = static_cast<float>(t);
    const Oscillation o = swept_oscillation(tf, p[kAmplitude], sweep.oscillation.re, sweep.oscillation.im);
    const float inv_tau = 1.0f / p[kTau];
    const float b = static_cast<float>(sweep.background.value);
    value = p[kOffset] + o.value + p[kBackground] * b;
    gradient[kFrequency] = o.d_frequency;
    gradient[kAmplitude] = o.d_amplitude;
    gradient[kDamping] = o.d_damping;
    gradient[kPhase] = o.d_phase;
    gradient[kOffset] = 1.0f;
    gradient[kBackground] = b;
    gradient[kTau] = p[kBackground] * b * tf * inv_tau * inv_tau;
  }

  // One trace (the CUDA kernels and their CPU twin): the same arithmetic as a lane of evaluate().
  XPULSE_HD void evaluate_one(double t, const float* p, float& value, float* gradient) const {
    const float tf = static_cast<float>(t);
    const Oscillation o = damped_oscillation(t, p[kFrequency], p[kAmplitude], p[kDamping], p[kPhase]);
    const float inv_tau = 1.0f / p[kTau];
    const float b = exp_nonpositive(-tf * inv_tau);
    value = p[kOffset] + o.value + p[kBackground] * b;
    gradient[kFrequency] = o.d_frequency;
    gradient[kAmplitude] = o.d_amplitude;
    gradient[kDamping] = o.d_damping;
    gradient[kPhase] = o.d_phase;
    gradient[kOffset] = 1.0f;
    gradient[kBackground] = b;
    gradient[kTau] = p[kBackground] * b * tf * inv_tau * inv_tau;
  }

  XPULSE_HD void project(float* p) const {
    DampedCosine::project_oscillation(p, max_frequency);
    if (!(p[kTau] >= min_tau)) p[kTau] = min_tau;
  }
};

}  // namespace xpulse::fit
