#pragma once
// Ptychography data (REFERENCE.md section 4): a complex object, a probe, a scan, and far-field intensities
// |F(P O_j)|^2 with Poisson noise. Positions are whole object pixels (jittered positions are rounded), the model
// the reconstruction uses, so a noise-free simulation is exactly consistent.
//
// Object: from a pattern s in [0, 1] (a Siemens star, or a grey image), O = (1 - 0.4 s) exp(-0.8 i s).
// Probe: "focused" is the defocused image of a circular pupil (a zone plate's probe: sharp edges, a structured
// phase); "gaussian" a Gaussian spot (standard deviation a quarter of the diameter). Both have a nominal diameter
// (default 0.3 of the frame), which sets the scan step: step = diameter (1 - overlap).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ptycho/problem.h"
#include "runtime/thread_pool.h"

namespace xpulse::sim {

struct PtychoSimOptions {
  std::size_t object_size = 512;        // pixels per side (square)
  std::size_t probe_size = 128;         // frame side
  std::string probe = "focused";        // focused | gaussian
  double diameter = 0;                  // nominal probe diameter, pixels (0: 0.3 of the frame)
  std::string scan = "raster";          // raster | spiral
  std::size_t positions = 1024;
  double overlap = 0.7;                 // of the nominal probe diameter
  double photons = 1e6;                 // per frame through a unit object (sum |P|^2)
  double position_jitter = 0;           // standard deviation, object pixels
  bool noise = true;                    // Poisson counts (false: expected photons)
  std::uint64_t seed = 1;
  double energy_ev = 6200;
  double distance_m = 2.0;
  double detector_pixel_m = 75e-6;
  void validate() const;                // InvalidArgument naming the option
  double probe_diameter() const { return diameter > 0 ? diameter : 0.3 * static_cast<double>(probe_size); }
  double object_pixel_m() const;        // lambda z / (n dx)
};

struct PtychoSimulation {
  std::vector<ptycho::cfloat> object;        // [object_size][object_size]
  std::vector<ptycho::cfloat> probe;         // [n][n]
  std::vector<ptycho::Position> positions;   // [N]
  std::vector<float> intensities;            // [N][n][n] photons, detector order (zero frequency at n/2)
};

// The Siemens star pattern s in [0, 1] (36 spokes, 4x4 supersampled edges) on a size x size grid.
std::vector<float> siemens_star(std::size_t size);

// pattern: [object_size^2] in [0, 1] (siemens_star, or an image resampled by the caller).
PtychoSimulation simulate_ptycho(const std::vector<float>& pattern, const PtychoSimOptions& options,
                                 runtime::ThreadPool& pool);

}  // namespace xpulse::sim
