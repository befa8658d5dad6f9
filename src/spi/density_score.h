#pragma once
// The score of a reconstruction against a known density (a simulation's truth): the truth resampled onto the
// reconstruction's grid, the superposition (density_alignment.h) and the Fourier shell correlation (fsc.h).
#include <cstddef>
#include <vector>

#include "runtime/thread_pool.h"
#include "spi/density_alignment.h"
#include "spi/fsc.h"

namespace xpulse::spi {

struct DensityScore {
  Alignment alignment;               // of the reconstruction onto the truth
  FscCurve fsc;                      // of the aligned reconstruction against the truth
  std::vector<double> truth;         // [M^3] the truth on the reconstruction's grid
};

// density: M^3 at `voxel` angstrom; truth: T^3 at `truth_voxel` (both odd, centred). InputError for non-finite
// values or a bad grid.
DensityScore score_density(const std::vector<double>& density, std::size_t m, double voxel,
                           const std::vector<double>& truth, std::size_t truth_m, double truth_voxel,
                           const AlignmentOptions& options, runtime::ThreadPool& pool);

}  // namespace xpulse::spi
