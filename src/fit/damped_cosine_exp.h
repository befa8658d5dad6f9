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
  enum Index { kBackground = 5, kTau = 6 };
  static constexpr std::array<std::string_view, kParams> kNames = {
      "frequency", "amplitude", "damping", "phase", "offset", "background", "background_tau"};

  float max_frequency = 1e30f;  // THz
  float min_tau = 1e-3f;        // ps

  void evaluate(double t, const float* p, float& value, float* gradient) const {
    DampedCosine{max_frequency}.evaluate(t, p, value, gradient);
    const float tf = static_cast<float>(t);
    const float inv_tau = 1.0f / p[kTau];
    const float b = exp_nonpositive(-tf * inv_tau);
    value += p[kBackground] * b;
    gradient[kBackground] = b;
    gradient[kTau] = p[kBackground] * b * tf * inv_tau * inv_tau;
  }

  void project(float* p) const {
    DampedCosine::project_oscillation(p, max_frequency);
    if (!(p[kTau] >= min_tau)) p[kTau] = min_tau;
  }
};

}  // namespace xpulse::fit
