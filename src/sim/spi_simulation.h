#pragma once
// Single-particle imaging data (REFERENCE.md section 3, Skopi-style): diffraction patterns of one molecule in
// uniformly random orientations on a flat detector normal to the beam, with polarisation, solid angle, optional
// beam-centre and fluence jitter, a flat background, and Poisson noise.
//
// Expected photons of pixel p in image i:
//   I = fluence_i (N_ph / (pi r_beam^2)) r_e^2 P_p dOmega_p |F(R_i^T q_p)|^2 + background
// with F the molecular transform (molecular_transform.h) and R_i the image's orientation (molecule -> lab).
// The truth also holds |F|^2 and the electron density on a centred M^3 grid (q spacing dq = q_max / (M/2),
// real-space voxel 2 pi / (M dq)).
#include <complex>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "geometry/detector.h"
#include "geometry/quaternion.h"
#include "runtime/thread_pool.h"
#include "sim/molecular_transform.h"

namespace xpulse::sim {

inline constexpr double kElectronRadiusM = 2.8179403262e-15;

struct SpiOptions {
  std::size_t images = 1000;
  std::size_t pixels = 128;            // square detector, pixels per side
  double detector_width_m = 0.08;
  double distance_m = 0.2;
  double energy_ev = 4600;
  double photons = 1e13;               // per pulse
  double beam_radius_m = 0.5e-6;       // focus radius
  double beam_jitter_px = 0;           // std of the beam centre per image, pixels
  double fluence_jitter = 0;           // relative std of the fluence per image
  double background = 0;               // mean photons per pixel
  bool noise = true;                   // Poisson counts (false: expected photons)
  std::uint64_t seed = 1;
  std::size_t grid = 81;               // M of the truth grids (odd)
  double eps = 1e-6;                   // NUFFT tolerance of the molecular transform
  void validate() const;               // InvalidArgument naming the option
};

// The detector of the options: pixel size width / pixels, beam centre in the middle, polarised along x.
geometry::Detector spi_detector(const SpiOptions& options);

struct SpiSimulation {
  geometry::Detector detector;
  std::vector<double> q;             // [ny][nx][3] lab-frame q of the nominal geometry, 1/angstrom
  std::vector<double> polarization;  // [ny][nx]
  std::vector<double> solid_angle;   // [ny][nx], sr
  double q_max = 0;                  // largest |q| on the detector (corner), 1/angstrom
  std::vector<float> images;         // [N][ny][nx] photons
  std::vector<geometry::Quaternion> orientations;
  std::vector<double> beam_offset;   // [N][2] (y, x) pixels
  std::vector<double> fluence;       // [N] relative
  std::vector<float> intensity;      // [M^3] |F|^2, electrons^2, at q = (i - M/2) dq (x fastest)
  std::vector<float> density;        // [M^3] electrons per voxel
  double voxel_angstrom = 0;
  double electrons = 0;              // sum of the atoms' Z times occupancy
};

// atoms: centred on the origin by the caller. Images are identical for any thread count.
SpiSimulation simulate_spi(const AtomSet& atoms, const SpiOptions& options, runtime::ThreadPool& pool);

// Lab-frame q, polarisation and solid angle of every pixel for a beam centre shifted by (dy, dx) pixels.
void spi_pixel_geometry(const geometry::Detector& detector, double dy, double dx, std::vector<double>& q,
                        std::vector<double>& polarization, std::vector<double>& solid_angle);

}  // namespace xpulse::sim
