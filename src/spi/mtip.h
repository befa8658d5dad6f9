#pragma once
// Multi-tiered iterative phasing (M-TIP, REFERENCE.md section 3): from images in unknown orientations to the
// electron density, one generation at a time:
//   1. slice the current autocorrelation at a fresh set of random reference orientations (slicer.h),
//   2. give every image its nearest reference and a scale (orientation_matching.h),
//   3. merge the oriented images into an autocorrelation (merger.h),
//   4. phase it into a density (phasing.h); its autocorrelation is the model for the next generation.
// Generation 0 merges the images at random orientations. No I/O here; the caller keeps the state between
// generations (and may save and resume it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "geometry/quaternion.h"
#include "runtime/thread_pool.h"
#include "runtime/world.h"
#include "spi/merger.h"
#include "spi/phasing.h"

namespace xpulse::spi {

struct MtipOptions {
  std::size_t grid = 81;                 // M (odd)
  std::size_t references = 10000;        // reference orientations per generation
  std::string phasing = "5x(10ER,5HIO,10ER,shrinkwrap)";
  MergeOptions merge;
  PhasingOptions phase;
  double eps = 1e-4;                     // NUFFT tolerance of slicing and merging (far below shot noise)
  double support_fraction = 0.01;        // of the autocorrelation's maximum, for the first support
  // Frequency marching: generation g >= 1 matches orientations on pixels with |q| <= q_max min(1, start +
  // (1 - start) (g - 1) / ramp_generations), so that the coarse shape settles before the detail counts.
  double ramp_start = 0.5;
  // Phasing runs per generation: one continues from the last density, the others start from random densities in
  // the current support; the one with the lowest Fourier error is kept.
  int phasing_starts = 4;
  int ramp_generations = 4;
  std::uint64_t seed = 1;
  int cuda_device = -1;                  // >= 0: orientation matching on this CUDA device (cuda_matcher.h)
  void validate() const;                 // InvalidArgument naming the option
};

// The data: images [n][pixels] of photon counts and per pixel its lab-frame q (1/angstrom) and the factor that
// multiplies the intensity there (polarisation times solid angle; any constant scale is immaterial).
//
// Under MPI each rank holds consecutive images, in rank order: images first_image .. first_image + n_images - 1
// of total_images. Every rank slices all references and matches its own images; the merging sums (A^H b and the
// Toeplitz kernel) are added on rank 0, which merges and phases and broadcasts the model. One process:
// first_image 0, total_images 0 (meaning n_images).
struct MtipData {
  const float* images = nullptr;         // [n_images][pixels]
  std::size_t n_images = 0, pixels = 0;
  std::size_t first_image = 0, total_images = 0;
  const double* q = nullptr;             // [pixels][3]
  const double* pixel_factor = nullptr;  // [pixels]
  double q_max = 0;                      // >= every |q|, 1/angstrom
};

struct GenerationRecord {
  int generation = 0;
  double slice_seconds = 0, match_seconds = 0, gemm_seconds = 0, merge_seconds = 0, phase_seconds = 0;
  double distance_mean = 0, distance_median = 0;  // whitened squared distance of each image to its reference
  double orientation_change = 0;  // median rotation (radians) of the images' orientations since last generation
  double lambda = 0;               // chosen Tikhonov value (relative)
  double merge_residual = 0;       // |A a - b| / |b| at that value
  int cg_iterations = 0;
  std::size_t support = 0;         // voxels
  double fourier_error = 0;
};

// Every rank keeps the whole state (orientations and scales of all images) and the same values.
struct MtipState {
  int generations_done = 0;
  std::vector<double> autocorrelation;   // [M^3] of the phased density: the model for the next generation
  std::vector<double> density;           // [M^3]
  std::vector<std::uint8_t> support;     // [M^3]
  std::vector<geometry::Quaternion> orientations;  // per image
  std::vector<double> scales;            // per image
  std::vector<GenerationRecord> history;
};

class Mtip {
 public:
  // Validates the data (finite, non-negative counts; q within q_max) and options. Collective over `world`.
  Mtip(const MtipData& data, const MtipOptions& options, runtime::ThreadPool& pool,
       runtime::World& world = runtime::World::get());

  std::size_t grid() const { return options_.grid; }
  double voxel() const { return voxel_; }  // real-space voxel, angstrom
  double q_spacing() const { return dq_; }

  std::size_t total_images() const { return total_; }

  // Runs the next generation (generation 0 when state is empty) and appends its record. Collective.
  void run_generation(MtipState& state);

 private:
  void match(MtipState& state, GenerationRecord& record);
  void merge_and_phase(MtipState& state, GenerationRecord& record);

  MtipData data_;
  MtipOptions options_;
  runtime::ThreadPool& pool_;
  runtime::World& world_;
  std::size_t total_ = 0;
  std::vector<PhasingStep> schedule_;
  std::vector<float> pixel_weight_;  // Poisson whitening: 1 / sqrt(mean counts) per pixel
  std::vector<double> q_norm_;       // |q| per pixel
  double dq_ = 0, voxel_ = 0;
};

// The intensity |F rho|^2 of a density on the centred grids (M^3 each).
std::vector<double> intensity_of(const std::vector<double>& density, std::size_t m, unsigned threads);

// The autocorrelation of a density on the centred grid (both real, M^3): F^-1 |F rho|^2.
std::vector<double> autocorrelation_of(const std::vector<double>& density, std::size_t m, unsigned threads);

}  // namespace xpulse::spi
