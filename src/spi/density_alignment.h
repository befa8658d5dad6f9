#pragma once
// Superposition of a reconstructed density onto a reference on the same centred M^3 grid: the rotation, the
// hand (the reconstruction may be the mirror image, rho(-r): both hands give the same intensities) and the shift
// that maximise the correlation. Coarse search: random rotations, both hands, all circular shifts at once by an
// FFT cross-correlation, on a Fourier-cropped grid of at most coarse_grid^3. Then a pattern search of small
// rotations on the full grid and a sub-voxel shift (parabola through the correlation peak, applied as a Fourier
// phase ramp).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "geometry/quaternion.h"
#include "runtime/thread_pool.h"

namespace xpulse::spi {

struct AlignmentOptions {
  std::size_t coarse_rotations = 3000;
  std::size_t coarse_grid = 31;        // odd
  double final_step_degrees = 0.25;    // the pattern search stops below this
  std::uint64_t seed = 7;
};

struct Alignment {
  geometry::Quaternion rotation{1, 0, 0, 0};  // applied to the (possibly inverted) moving density
  bool inverted = false;                       // the moving density's mirror image fitted better
  double shift[3] = {0, 0, 0};                 // voxels (x, y, z), applied after the rotation
  double cc = 0;                               // Pearson correlation of the aligned density with the reference
  std::vector<double> aligned;                 // [M^3] the moving density, aligned
};

Alignment align_density(const std::vector<double>& moving, const std::vector<double>& reference, std::size_t m,
                        const AlignmentOptions& options, runtime::ThreadPool& pool);

// out(r) = in(R^T s r) with s = -1 when inverted, by trilinear interpolation (zero outside); r about the centre.
std::vector<double> rotate_density(const std::vector<double>& in, std::size_t m, const geometry::Mat3& r,
                                   bool inverted);

// in(r - shift), a circular sub-voxel shift by a Fourier phase ramp.
std::vector<double> shift_density(const std::vector<double>& in, std::size_t m, const double shift[3],
                                  unsigned threads);

// Pearson correlation over the whole grid.
double correlation(const std::vector<double>& a, const std::vector<double>& b);

// A density on an M^3 grid resampled by trilinear interpolation onto an n^3 grid of voxel `to_voxel` (both
// centred; zero outside the source).
std::vector<double> resample_density(const std::vector<double>& in, std::size_t m, double voxel, std::size_t n,
                                     double to_voxel);

}  // namespace xpulse::spi
