#pragma once
// A pixel's counting and readout noise from its own counter-based stream (sim/philox.h), shared by the CPU
// simulations and their CUDA twins so that both draw the same numbers: Poisson photon counts, by inversion for
// small means and by Hoermann's transformed rejection (PTRS, 1993) from a mean of 10 on, then the gain and
// Gaussian readout noise (Box-Muller) in ADU. Compile callers without FMA contraction to keep the backends'
// arithmetic alike.
#include <cmath>
#include <cstdint>

#include "core/host_device.h"
#include "sim/philox.h"

namespace xpulse::sim {

XPULSE_HD inline double poisson_count(double mean, CounterStream& random) {
  if (!(mean > 0)) return 0;
  if (mean < 10) {
    // Inversion: the first k whose cumulative probability reaches u (at most a few dozen steps here).
    const double u = random.uniform();
    double p = exp(-mean), cumulative = p;
    double k = 0;
    while (u > cumulative && k < 200) {
      k += 1;
      p = p * mean / k;
      cumulative += p;
    }
    return k;
  }
  const double root = sqrt(mean), log_mean = log(mean);
  const double b = 0.931 + 2.53 * root, a = -0.059 + 0.02483 * b;
  const double log_inv_alpha = log(1.1239 + 1.1328 / (b - 3.4)), v_r = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double u = random.uniform() - 0.5, v = random.uniform();
    const double us = 0.5 - fabs(u);
    if (!(us > 0)) continue;
    const double k = floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= v_r) return k;  // the squeeze: accepted without a logarithm
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (log(v) + log_inv_alpha - log(a / (us * us) + b) <= -mean + k * log_mean - lgamma(k + 1)) return k;
  }
}

XPULSE_HD inline double standard_normal(CounterStream& random) {
  const double u1 = 1 - random.uniform(), u2 = random.uniform();  // u1 in (0, 1]
  return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

struct DetectorNoise {
  double adu_per_photon = 1;
  double readout_adu = 0;  // Gaussian sigma
};

// The ADU of a pixel expecting `photons`, from stream (seed, frame, pixel).
XPULSE_HD inline float detector_adu(double photons, const DetectorNoise& detector, std::uint64_t seed,
                                    std::uint64_t frame, std::uint32_t pixel) {
  CounterStream random(seed, frame, pixel);
  const double counts = poisson_count(photons, random);
  const double readout = detector.readout_adu > 0 ? detector.readout_adu * standard_normal(random) : 0.0;
  return static_cast<float>(counts * detector.adu_per_photon + readout);
}

}  // namespace xpulse::sim
