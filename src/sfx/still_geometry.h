#pragma once
// Between detector pixels and scattering vectors for stills, in the crystallographer's units: s = k_out - k_in
// with |k| = 1 / lambda (1/Angstrom, no 2 pi), the lab frame of geometry/detector.h (z along the beam).
#include <cmath>
#include <numbers>

#include "geometry/detector.h"

namespace xpulse::sfx {

inline geometry::Vec3 pixel_to_s(const geometry::Detector& d, double x, double y) {
  return geometry::scale(0.5 / std::numbers::pi, geometry::scattering_vector(d, y, x));
}

// Where the ray along k_in + s (k = 1 / lambda) meets the detector plane: false when it points away from it.
inline bool s_to_pixel(const geometry::Detector& d, const geometry::Vec3& s, double& x, double& y) {
  const double k = 1 / d.wavelength_angstrom();
  const geometry::Vec3 v{s[0], s[1], s[2] + k};
  // In the detector's own frame (rotation R): t R^T v = R^T (0, 0, D) + (dx, dy, 0).
  const geometry::Mat3 rt = geometry::transpose(d.rotation);
  const geometry::Vec3 w = geometry::mul(rt, v), origin = geometry::mul(rt, geometry::Vec3{0, 0, d.distance_m});
  if (!(w[2] * origin[2] > 0)) return false;
  const double t = origin[2] / w[2];
  x = d.beam_center_x_px + (t * w[0] - origin[0]) / d.x_pixel_size_m;
  y = d.beam_center_y_px + (t * w[1] - origin[1]) / d.y_pixel_size_m;
  return true;
}

// Excitation error of s: its distance from the Ewald sphere, |k_in + s| - k (1/Angstrom).
inline double excitation_error(const geometry::Detector& d, const geometry::Vec3& s) {
  const double k = 1 / d.wavelength_angstrom();
  return std::sqrt(s[0] * s[0] + s[1] * s[1] + (s[2] + k) * (s[2] + k)) - k;
}

}  // namespace xpulse::sfx
