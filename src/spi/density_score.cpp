#include "spi/density_score.h"

#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::spi {
namespace {

void check_grid(const std::vector<double>& values, std::size_t m, double voxel, const char* what) {
  if (m % 2 == 0 || m < 3 || values.size() != m * m * m) {
    throw InputError(fmt::format("the {} must be a cube M^3 with M odd and >= 3", what));
  }
  if (!(voxel > 0) || !std::isfinite(voxel)) throw InputError(fmt::format("the {}'s voxel size must be > 0", what));
  for (double v : values) {
    if (!std::isfinite(v)) throw InputError(fmt::format("the {} holds non-finite values", what));
  }
}

}  // namespace

DensityScore score_density(const std::vector<double>& density, std::size_t m, double voxel,
                           const std::vector<double>& truth, std::size_t truth_m, double truth_voxel,
                           const AlignmentOptions& options, runtime::ThreadPool& pool) {
  check_grid(density, m, voxel, "reconstructed density");
  check_grid(truth, truth_m, truth_voxel, "truth density");
  DensityScore s;
  s.truth = truth_m == m && std::abs(truth_voxel - voxel) <= 1e-9 * voxel
                ? truth : resample_density(truth, truth_m, truth_voxel, m, voxel);
  s.alignment = align_density(density, s.truth, m, options, pool);
  s.fsc = fourier_shell_correlation(s.alignment.aligned, s.truth, m, voxel, pool.size());
  return s;
}

}  // namespace xpulse::spi
