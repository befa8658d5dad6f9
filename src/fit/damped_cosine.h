#pragma once
// I(t) = C + A exp(-g t) cos(2 pi f t + phi), t = delay - t0 in ps, f in THz, g in 1/ps, phi in rad.
// Bounds: A >= 0 (a negative amplitude is phi + pi), g >= 0, 0 <= f <= max_frequency (Nyquist).
#include <array>
#include <string_view>

#include "core/host_device.h"
#include "fit/lanes.h"
#include "fit/oscillation_sweep.h"
#include "fit/vector_math.h"

namespace xpulse::fit {

// A exp(-g t) cos(2 pi f t + phi) of one lane and its derivatives; inlined into the models' lane loops.
struct Oscillation {
  float value, d_frequency, d_amplitude, d_damping, d_phase;
};
XPULSE_HD inline Oscillation damped_oscillation(double t, float f, float a, float g, float phi) {
  const double turns = static_cast<double>(f) * t + static_cast<double>(phi) * (1.0 / kTwoPi);
  float s;
  float c;
  sincos_turns(reduce_turns(turns), s, c);
  const float tf = static_cast<float>(t);
  const float e = exp_nonpositive(-g * tf);
  const float aec = a * e * c;
  const float aes = a * e * s;
  return {aec, -static_cast<float>(kTwoPi) * tf * aes, e * c, -tf * aec, -aes};
}

// The same from e^{-g t} cos(...) and e^{-g t} sin(...) given by an OscillationSweep.
XPULSE_HD inline Oscillation swept_oscillation(float t, float a, double ec, double es) {
  const float c = static_cast<float>(ec);
  const float s = static_cast<float>(es);
  const float aec = a * c;
  const float aes = a * s;
  return {aec, -static_cast<float>(kTwoPi) * t * aes, c, -t * aec, -aes};
}

struct DampedCosine {
  using Scalar = float;
  static constexpr int kParams = 5;
  enum Index { kFrequency = 0, kAmplitude = 1, kDamping = 2, kPhase = 3, kOffset = 4 };
  static constexpr std::array<std::string_view, kParams> kNames = {"frequency", "amplitude", "damping", "phase",
                                                                   "offset"};

  float max_frequency = 1e30f;  // THz

  void evaluate(double t, const float (&p)[kParams][kLanes], float (&value)[kLanes],
                float (&gradient)[kParams][kLanes]) const {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      const Oscillation o = damped_oscillation(t, p[kFrequency][l], p[kAmplitude][l], p[kDamping][l], p[kPhase][l]);
      value[l] = p[kOffset][l] + o.value;
      gradient[kFrequency][l] = o.d_frequency;
      gradient[kAmplitude][l] = o.d_amplitude;
      gradient[kDamping][l] = o.d_damping;
      gradient[kPhase][l] = o.d_phase;
      gradient[kOffset][l] = 1.0f;
    }
  }

  // evaluate() on a StepTable grid: sweep.start() at the first abscissa, sweep.advance() to each next one.
  using Sweep = OscillationSweep;
  void start_sweep(Sweep& sweep, const StepTable& steps, double t0, const float (&p)[kParams][kLanes]) const {
    sweep.start(steps, t0, p[kFrequency], p[kDamping], p[kPhase]);
  }
  static void advance_sweep(Sweep& sweep, int step) { sweep.advance(step); }
  void evaluate_swept(double t, const Sweep& sweep, const float (&p)[kParams][kLanes], float (&value)[kLanes],
                      float (&gradient)[kParams][kLanes]) const {
    const float tf = static_cast<float>(t);
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      const Oscillation o = swept_oscillation(tf, p[kAmplitude][l], sweep.re[l], sweep.im[l]);
      value[l] = p[kOffset][l] + o.value;
      gradient[kFrequency][l] = o.d_frequency;
      gradient[kAmplitude][l] = o.d_amplitude;
      gradient[kDamping][l] = o.d_damping;
      gradient[kPhase][l] = o.d_phase;
      gradient[kOffset][l] = 1.0f;
    }
  }

  // One trace on a StepTable grid: the same arithmetic as a lane of evaluate_swept().
  using PixelSweep = PixelOscillationSweep;
  XPULSE_HD void start_pixel_sweep(PixelSweep& sweep, const double* steps, int step_count, double t0,
                                   const float* p) const {
    sweep.start(steps, step_count, t0, p[kFrequency], p[kDamping], p[kPhase]);
  }
  XPULSE_HD static void advance_pixel_sweep(PixelSweep& sweep, int step) { sweep.advance(step); }
  XPULSE_HD void evaluate_swept_one(double t, const PixelSweep& sweep, const float* p, float& value,
                                    float* gradient) const {
    const Oscillation o = swept_oscillation(static_cast<float>(t), p[kAmplitude], sweep.re, sweep.im);
    value = p[kOffset] + o.value;
    gradient[kFrequency] = o.d_frequency;
    gradient[kAmplitude] = o.d_amplitude;
    gradient[kDamping] = o.d_damping;
    gradient[kPhase] = o.d_phase;
    gradient[kOffset] = 1.0f;
  }

  // One trace (the CUDA kernels and their CPU twin): the same arithmetic as a lane of evaluate().
  XPULSE_HD void evaluate_one(double t, const float* p, float& value, float* gradient) const {
    const Oscillation o = damped_oscillation(t, p[kFrequency], p[kAmplitude], p[kDamping], p[kPhase]);
    value = p[kOffset] + o.value;
    gradient[kFrequency] = o.d_frequency;
    gradient[kAmplitude] = o.d_amplitude;
    gradient[kDamping] = o.d_damping;
    gradient[kPhase] = o.d_phase;
    gradient[kOffset] = 1.0f;
  }

  XPULSE_HD void project(float* p) const { project_oscillation(p, max_frequency); }

  // Canonical form of the oscillating part, shared with DampedCosineExp.
  XPULSE_HD static void project_oscillation(float* p, float max_frequency) {
    constexpr float kPi = 3.14159265358979323846f;
    if (p[kAmplitude] < 0.0f) {
      p[kAmplitude] = -p[kAmplitude];
      p[kPhase] += kPi;
    }
    if (p[kFrequency] < 0.0f) {
      p[kFrequency] = -p[kFrequency];
      p[kPhase] = -p[kPhase];
    }
    if (p[kFrequency] > max_frequency) p[kFrequency] = max_frequency;
    if (p[kDamping] < 0.0f) p[kDamping] = 0.0f;
    p[kPhase] -= 2.0f * kPi * round_even(p[kPhase] * (0.5f / kPi));
  }
};

}  // namespace xpulse::fit
