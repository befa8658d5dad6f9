#include "geometry/detector.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::geometry {

double Detector::wavenumber() const { return 2.0 * std::numbers::pi / wavelength_angstrom(); }

void Detector::validate() const {
  auto positive = [](double v, const char* name, const char* unit) {
    if (!(v > 0.0) || !std::isfinite(v)) {
      throw InputError(fmt::format("detector {} must be a positive number of {}, got {}", name, unit, v));
    }
  };
  positive(distance_m, "distance", "metres");
  positive(x_pixel_size_m, "x_pixel_size", "metres");
  positive(y_pixel_size_m, "y_pixel_size", "metres");
  positive(energy_ev, "photon energy", "eV");
  if (!std::isfinite(beam_center_x_px) || !std::isfinite(beam_center_y_px)) {
    throw InputError("detector beam centre must be finite (pixels)");
  }
  if (!(orthonormality_error(rotation) < 1e-6) || !(determinant(rotation) > 0.0)) {
    throw InputError("detector rotation must be a proper rotation matrix (orthonormal, determinant +1)");
  }
  if (!(polarization_fraction >= 0.0 && polarization_fraction <= 1.0)) {
    throw InputError(fmt::format("polarization_fraction must lie in [0, 1], got {}", polarization_fraction));
  }
}

Vec3 pixel_position(const Detector& d, double y, double x) {
  const Vec3 in_plane{(x - d.beam_center_x_px) * d.x_pixel_size_m, (y - d.beam_center_y_px) * d.y_pixel_size_m, 0.0};
  return add(Vec3{0.0, 0.0, d.distance_m}, mul(d.rotation, in_plane));
}

Vec3 scattering_vector(const Detector& d, double y, double x) {
  const Vec3 p = pixel_position(d, y, x);
  const double r = norm(p);
  const double k = d.wavenumber();
  return {k * p[0] / r, k * p[1] / r, k * (p[2] / r - 1.0)};
}

double two_theta(const Detector& d, double y, double x) {
  const Vec3 p = pixel_position(d, y, x);
  return std::acos(std::clamp(p[2] / norm(p), -1.0, 1.0));
}

double polarization_factor(const Detector& d, double y, double x) {
  const Vec3 p = pixel_position(d, y, x);
  const double r2 = dot(p, p);
  const double ux2 = p[0] * p[0] / r2, uy2 = p[1] * p[1] / r2;
  return d.polarization_fraction * (1.0 - ux2) + (1.0 - d.polarization_fraction) * (1.0 - uy2);
}

double solid_angle(const Detector& d, double y, double x) {
  const Vec3 p = pixel_position(d, y, x);
  const Vec3 normal = mul(d.rotation, Vec3{0.0, 0.0, 1.0});
  const double r = norm(p);
  return d.x_pixel_size_m * d.y_pixel_size_m * std::abs(dot(normal, p)) / (r * r * r);
}

}  // namespace xpulse::geometry
