#pragma once
// Fourier shell correlation of two densities on the same centred M^3 grid (REFERENCE.md section 3):
// FSC(k) = Re sum F1 F2* / sqrt(sum |F1|^2 sum |F2|^2) over shells of radius k (in units of 1 / (M voxel)).
#include <cstddef>
#include <vector>

namespace xpulse::spi {

struct FscCurve {
  std::vector<double> frequency;   // shell centre, 1/angstrom (s = 1/d)
  std::vector<double> fsc;
  std::vector<std::size_t> count;  // voxels per shell
  double resolution = 0;           // angstrom, where FSC first falls below 0.5 (interpolated)
  bool crossed = false;            // false: FSC stays above 0.5 to the last shell; resolution is that shell's
};

FscCurve fourier_shell_correlation(const std::vector<double>& a, const std::vector<double>& b, std::size_t m,
                                   double voxel, unsigned threads);

}  // namespace xpulse::spi
