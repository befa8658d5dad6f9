#pragma once
// The parts of an SFX simulation (sim/sfx_simulation.h), so that its backends share all but the per-pixel
// rendering: the scene every frame sees (per-pixel background and mask, the reflections with their |F|^2), each
// frame's truth (hit or blank, orientation, the spots it shows), and the CPU rendering of a frame's pixels from
// its spots (sim/cuda_sfx_renderer.h is the GPU's).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "geometry/quaternion.h"
#include "sim/detector_noise.h"
#include "sim/sfx_simulation.h"

namespace xpulse::sim {

struct SfxReflection {
  geometry::Vec3 s;      // crystal frame, 1/angstrom (no 2 pi)
  double intensity = 0;  // |F|^2 / <|F|^2> x Wilson factor
  int h = 0, k = 0, l = 0;
};

struct SfxScene {
  std::size_t ny = 0, nx = 0;
  double cx = 0, cy = 0;    // beam centre, pixels
  double pixel = 0;         // pixel size over the detector distance
  double k = 0;             // 1 / wavelength, 1/angstrom
  double resolution = 0;    // angstrom at the detector's corner
  std::vector<float> background;     // [ny][nx] expected photons
  std::vector<std::uint8_t> mask;    // [ny][nx] nonzero = bad
  std::vector<SfxReflection> reflections;
};

SfxScene make_sfx_scene(const AtomSet& cell_atoms, const geometry::UnitCell& cell, const SfxOptions& options,
                        runtime::ThreadPool& pool);

struct SfxFrameTruth {
  bool hit = false;
  geometry::Quaternion orientation{1, 0, 0, 0};
  bool second = false;                                // a second crystal (SfxOptions::second_lattice_fraction)
  geometry::Quaternion second_orientation{1, 0, 0, 0};
  std::vector<SfxSpot> spots;  // the first crystal's in reflection order, then the second's
};

// Whether frame `frame` holds a crystal, its orientation and its spots: a function of the seed and the frame.
SfxFrameTruth predict_sfx_frame(const SfxScene& scene, const SfxOptions& options, std::size_t frame);

DetectorNoise sfx_detector_noise(const SfxOptions& options);

// Frame `frame`'s pixels in ADU into out [ny][nx]: the background plus every spot, then counting and readout
// noise from each pixel's own stream (zero on masked pixels).
void render_sfx_frame(const SfxScene& scene, const SfxOptions& options, const std::vector<SfxSpot>& spots,
                      std::size_t frame, float* out);

}  // namespace xpulse::sim
