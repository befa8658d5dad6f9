#pragma once
// Synthetic still peaks for the indexing tests: the reflections of a lattice (cell, orientation, centering) that
// lie within a profile radius of the Ewald sphere and fall on a flat detector, at their pixel positions jittered
// by Gaussian noise, as scattering vectors.
#include <random>
#include <vector>

#include "geometry/detector.h"
#include "geometry/lattice.h"
#include "sfx/centering.h"
#include "sfx/still_geometry.h"

namespace xpulse::sfx::testing {

inline geometry::Detector still_detector() {
  geometry::Detector d;
  d.ny = 512, d.nx = 512;
  d.distance_m = 0.1, d.x_pixel_size_m = d.y_pixel_size_m = 150e-6;
  d.beam_center_x_px = 256, d.beam_center_y_px = 256;
  d.energy_ev = 9500;
  return d;
}

struct StillPeaks {
  std::vector<geometry::Vec3> s;
  std::vector<std::array<int, 3>> hkl;
};

inline StillPeaks still_peaks(const geometry::UnitCell& cell, const geometry::Mat3& u, Centering centering,
                              const geometry::Detector& d, double profile_radius, double jitter_px,
                              std::mt19937_64& random) {
  const geometry::Mat3 ub = geometry::mul(u, cell.b_matrix());
  std::normal_distribution<double> noise(0.0, jitter_px);
  StillPeaks out;
  const int hmax = static_cast<int>(cell.a * 0.6) + 1, kmax = static_cast<int>(cell.b * 0.6) + 1,
            lmax = static_cast<int>(cell.c * 0.6) + 1;
  for (int h = -hmax; h <= hmax; ++h)
    for (int k = -kmax; k <= kmax; ++k)
      for (int l = -lmax; l <= lmax; ++l) {
        if ((h == 0 && k == 0 && l == 0) || !centering_allows(centering, h, k, l)) continue;
        const geometry::Vec3 s = geometry::mul(ub, geometry::Vec3{double(h), double(k), double(l)});
        if (std::abs(excitation_error(d, s)) > profile_radius) continue;
        double x = 0, y = 0;
        if (!s_to_pixel(d, s, x, y) || x < 0 || y < 0 || x > double(d.nx) - 1 || y > double(d.ny) - 1) continue;
        out.s.push_back(pixel_to_s(d, x + noise(random), y + noise(random)));
        out.hkl.push_back({h, k, l});
      }
  return out;
}

inline geometry::Mat3 random_rotation(std::mt19937_64& random) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double u1 = u(random), u2 = 2 * M_PI * u(random), u3 = 2 * M_PI * u(random);
  const double w = std::sqrt(1 - u1) * std::sin(u2), x = std::sqrt(1 - u1) * std::cos(u2),
               y = std::sqrt(u1) * std::sin(u3), z = std::sqrt(u1) * std::cos(u3);
  return {{{1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)},
           {2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)},
           {2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)}}};
}

}  // namespace xpulse::sfx::testing
