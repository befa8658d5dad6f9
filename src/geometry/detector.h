#pragma once
// Flat detector geometry and per-pixel scattering vectors.
// Lab frame: z along the incident beam, x along detector columns (increasing x index), y along rows.
#include <array>
#include <cstddef>

namespace xpulse::geometry {

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<Vec3, 3>;  // row-major

inline constexpr double kHcEvAngstrom = 12398.419843320026;  // h c in eV Angstrom

struct Detector {
  std::size_t ny = 0;
  std::size_t nx = 0;
  double distance_m = 0.1;         // sample to detector plane, along the beam
  double x_pixel_size_m = 100e-6;
  double y_pixel_size_m = 100e-6;
  double beam_center_x_px = 0.0;   // where the direct beam meets the detector, in pixels (may lie outside)
  double beam_center_y_px = 0.0;
  double energy_ev = 9500.0;

  double wavelength_angstrom() const { return kHcEvAngstrom / energy_ev; }
  void validate() const;  // throws InputError naming the field
};

// Momentum transfer q = k_out - k_in (|k| = 2 pi / lambda) of pixel (y, x), in 1/Angstrom.
Vec3 scattering_vector(const Detector& detector, double y, double x);

// A simple cubic crystal: lattice constant and orientation (lab = orientation * crystal).
struct CubicLattice {
  double a_angstrom = 4.0;
  Mat3 orientation{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};

  // Fractional Miller indices of q (lab frame, 1/Angstrom).
  Vec3 miller(const Vec3& q) const;
  // |q - G| for the nearest reciprocal-lattice point G, in 1/Angstrom.
  double reduced_wavevector(const Vec3& q) const;
  // Zone-boundary wavevector along a cube axis, pi / a, in 1/Angstrom.
  double zone_boundary() const;
};

// Rotation matrix from Euler angles (rotations about x, then y, then z), in degrees.
Mat3 rotation_xyz_deg(double ax, double ay, double az);

}  // namespace xpulse::geometry
