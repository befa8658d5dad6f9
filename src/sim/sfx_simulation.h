#pragma once
// Serial femtosecond crystallography stills (REFERENCE.md section 5), rendered spot by spot: for a hit, every
// reflection hkl of the unit cell within the detector's resolution is placed at s = U B hkl, its excitation error
// eps = |k_in + s| - 1/lambda sets its partiality exp(-eps^2 / (2 sigma^2)) (sigma from mosaicity, bandwidth and
// crystal size), and its photons
//   fluence x |F(hkl)|^2 / <|F|^2> x exp(-B |s|^2 / 2) x partiality x polarisation x solid angle (relative)
// fall on the detector where k_in + s points, as a Gaussian spot (pixel-integrated). |F|^2 comes from the atoms
// of the whole unit cell (the space group's operators) with xraylib form factors. Every frame adds a water ring
// and a flat background; then Poisson counts, the detector gain and Gaussian readout noise (ADU); a mask marks
// dead pixels and a panel gap (zero there). Blank frames have background only. Each pixel's noise comes from its
// own counter-based stream (seed, frame, pixel), so the frames are the same for any thread count and, up to the
// last bits of erf/exp/log on the two, on the CPU and the GPU. (sim/sfx_scene.h has the parts.)
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "geometry/lattice.h"
#include "geometry/quaternion.h"
#include "runtime/thread_pool.h"
#include "sim/molecular_transform.h"

namespace xpulse::sim {

struct SfxOptions {
  std::size_t frames = 100;
  double hit_fraction = 0.3;
  std::size_t ny = 1024, nx = 1024;
  double pixel_size_m = 75e-6;
  double distance_m = 0.1;
  double energy_ev = 9500;
  double crystal_size_m = 1e-6;
  double mosaicity_deg = 0.1;
  double bandwidth = 0.002;          // relative (FWHM-ish spread of the SASE spectrum)
  double fluence = 400;              // photons of a full reflection of mean |F|^2 at the beam centre
  double b_factor = 30;              // Wilson B, angstrom^2
  double spot_sigma_px = 0.7;        // spot width on the detector
  double second_lattice_fraction = 0;  // of the hits, those with a second crystal in another orientation
  std::string background = "water";  // water | none
  double water_photons = 2.0;        // at the ring's peak (3.2 A), per pixel
  double flat_photons = 0.2;
  double adu_per_photon = 20;
  double readout_noise_adu = 8;
  std::uint64_t seed = 1;
  void validate() const;             // InvalidArgument naming the option
  double wavelength() const;         // angstrom
};

struct SfxSpot {
  std::uint32_t frame = 0;
  double x = 0, y = 0;               // pixel coordinates of the centre (column, row)
  double photons = 0;                // expected
  double sigma = 0;                  // expected error of its photons over a 3 sigma disc: sqrt(I + n b)
  int h = 0, k = 0, l = 0;
  std::uint8_t lattice = 0;          // which crystal of the frame (0, or 1 for a second)
};

struct SfxSimulation {
  std::vector<float> frames;                // [N][ny][nx] ADU (empty when streamed)
  std::vector<std::uint8_t> mask;           // [ny][nx] nonzero = bad
  std::vector<std::uint8_t> hit;            // [N]
  std::vector<geometry::Quaternion> orientations;  // [N] (identity for blanks)
  std::vector<std::uint8_t> lattices;       // [N] crystals in the frame: 0, 1 or 2
  std::vector<geometry::Quaternion> second_orientations;  // [N] (identity where no second crystal)
  std::vector<SfxSpot> spots;               // every spot of every hit, frame order
  std::size_t reflections = 0;              // unique hkl within the resolution
  std::vector<std::array<int, 3>> truth_hkl;  // every reflection within the resolution (not only unique ones)
  std::vector<double> truth_intensity;      // its |F|^2 / <|F|^2> x the Wilson factor
  double resolution = 0;                    // angstrom at the detector's corner
};

// The atoms of the whole unit cell from those of the asymmetric unit, for the space groups this knows
// (P 1, P 1 21 1, C 1 2 1, P 21 21 21); InputError naming any other.
AtomSet unit_cell_atoms(const AtomSet& asymmetric_unit, const geometry::UnitCell& cell, const std::string& space_group);

// Where the pixels are rendered: on the pool's threads, or on CUDA device `index` (sim/cuda_sfx_renderer.h; the
// truth is predicted on the pool either way).
struct SfxDevice {
  bool cuda = false;
  int index = 0;
};

// Takes the frames in order, a batch at a time: frames [count][ny][nx] in ADU from frame `first` on. It is called
// on a thread of its own, one call at a time, while the next batch is rendered.
using SfxFrameSink = std::function<void(std::size_t first, std::span<const float> frames)>;

// Streams the frames to `sink` in batches of about 256 MiB (and at least one frame per thread), keeping none of
// them: the result holds the truth and the mask, and no frames.
SfxSimulation simulate_sfx(const AtomSet& cell_atoms, const geometry::UnitCell& cell, const SfxOptions& options,
                           runtime::ThreadPool& pool, const SfxDevice& device, const SfxFrameSink& sink);

// Every frame in memory (SfxSimulation::frames).
SfxSimulation simulate_sfx(const AtomSet& cell_atoms, const geometry::UnitCell& cell, const SfxOptions& options,
                           runtime::ThreadPool& pool, const SfxDevice& device = {});

}  // namespace xpulse::sim
