#include "geometry/detector.h"

#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::geometry {

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
}

Vec3 scattering_vector(const Detector& d, double y, double x) {
  const double px = (x - d.beam_center_x_px) * d.x_pixel_size_m;
  const double py = (y - d.beam_center_y_px) * d.y_pixel_size_m;
  const double r = std::sqrt(px * px + py * py + d.distance_m * d.distance_m);
  const double k = 2.0 * std::numbers::pi / d.wavelength_angstrom();
  return {k * px / r, k * py / r, k * (d.distance_m / r - 1.0)};
}

Vec3 CubicLattice::miller(const Vec3& q) const {
  Vec3 h{};  // crystal = orientation^T * lab
  for (int i = 0; i < 3; ++i) {
    h[i] = (orientation[0][i] * q[0] + orientation[1][i] * q[1] + orientation[2][i] * q[2]) * a_angstrom /
           (2.0 * std::numbers::pi);
  }
  return h;
}

double CubicLattice::reduced_wavevector(const Vec3& q) const {
  const Vec3 h = miller(q);
  double s = 0.0;
  for (double hi : h) {
    const double xi = hi - std::nearbyint(hi);
    s += xi * xi;
  }
  return 2.0 * std::numbers::pi / a_angstrom * std::sqrt(s);
}

double CubicLattice::zone_boundary() const { return std::numbers::pi / a_angstrom; }

Mat3 rotation_xyz_deg(double ax, double ay, double az) {
  const double d = std::numbers::pi / 180.0;
  const double cx = std::cos(ax * d), sx = std::sin(ax * d);
  const double cy = std::cos(ay * d), sy = std::sin(ay * d);
  const double cz = std::cos(az * d), sz = std::sin(az * d);
  const Mat3 rx{{{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}}};
  const Mat3 ry{{{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}}};
  const Mat3 rz{{{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}}};
  auto mul = [](const Mat3& a, const Mat3& b) {
    Mat3 c{};
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 3; ++k) c[i][j] += a[i][k] * b[k][j];
    return c;
  };
  return mul(rz, mul(ry, rx));
}

}  // namespace xpulse::geometry
