#pragma once
// How a Bragg spot's photons spread over the detector: a Gaussian of sigma pixels, integrated over each pixel,
// out to ceil(4 sigma) pixels from the pixel nearest its centre. Shared by the CPU renderer and its CUDA twin,
// which add a spot's share to a pixel as float(photons x share_y x share_x), spot after spot in the same order.
#include <cmath>

#include "core/host_device.h"

namespace xpulse::sim {

XPULSE_HD inline long spot_radius(double sigma) { return static_cast<long>(ceil(4 * sigma)); }

// The fraction of a unit Gaussian (sigma, centred at c) that falls in pixel [i - 0.5, i + 0.5).
XPULSE_HD inline double pixel_share(double c, double sigma, long i) {
  const double s = sigma * 1.4142135623730951;
  return 0.5 * (erf((static_cast<double>(i) + 0.5 - c) / s) - erf((static_cast<double>(i) - 0.5 - c) / s));
}

XPULSE_HD inline float spot_share(double photons, double share_y, double share_x) {
  return static_cast<float>(photons * share_y * share_x);
}

}  // namespace xpulse::sim
