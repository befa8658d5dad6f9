#pragma once
// Flat detector geometry and per-pixel scattering vectors, polarisation and solid-angle factors.
//
// Lab frame: z along the incident beam, x along detector columns (increasing x index), y along rows.
// The direct beam meets the detector at pixel (beam_center_y, beam_center_x), at distance `distance_m` from the
// sample along z. A tilted detector is rotated about that point: a pixel's position is
//   P = (0, 0, distance) + R (dx, dy, 0),  dx = (x - beam_center_x) x_pixel_size, dy likewise,
// so q = 0 at the beam centre for any tilt. Pixel indices refer to pixel centres.
#include <cstddef>

#include "geometry/mat3.h"

namespace xpulse::geometry {

inline constexpr double kHcEvAngstrom = 12398.419843320026;  // h c in eV Angstrom

struct Detector {
  std::size_t ny = 0;
  std::size_t nx = 0;
  double distance_m = 0.1;         // sample to the beam centre on the detector, along the beam
  double x_pixel_size_m = 100e-6;
  double y_pixel_size_m = 100e-6;
  double beam_center_x_px = 0.0;   // where the direct beam meets the detector, in pixels (may lie outside)
  double beam_center_y_px = 0.0;
  double energy_ev = 9500.0;
  Mat3 rotation = kIdentity;       // detector tilt about the beam centre (identity: normal to the beam)
  // Fraction of the beam's intensity polarised along lab x (1: a planar undulator with x horizontal;
  // 0.5: unpolarised).
  double polarization_fraction = 1.0;

  double wavelength_angstrom() const { return kHcEvAngstrom / energy_ev; }
  double wavenumber() const;        // |k| = 2 pi / lambda, 1/Angstrom
  void validate() const;            // throws InputError naming the field
};

// Position of pixel (y, x) relative to the sample, metres.
Vec3 pixel_position(const Detector& detector, double y, double x);

// Momentum transfer q = k_out - k_in (|k| = 2 pi / lambda) of pixel (y, x), in 1/Angstrom.
Vec3 scattering_vector(const Detector& detector, double y, double x);

// Scattering angle 2 theta of pixel (y, x), radians.
double two_theta(const Detector& detector, double y, double x);

// Polarisation factor P = f (1 - u_x^2) + (1 - f)(1 - u_y^2), u the unit vector towards the pixel and f the
// polarisation fraction: measured intensity = P x (unpolarised-free) intensity. 1 at the beam centre.
double polarization_factor(const Detector& detector, double y, double x);

// Solid angle subtended by pixel (y, x), steradians: pixel area x cos(incidence) / r^2.
double solid_angle(const Detector& detector, double y, double x);

}  // namespace xpulse::geometry
