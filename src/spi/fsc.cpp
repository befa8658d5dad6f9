#include "spi/fsc.h"

#include <cmath>

#include "core/error.h"
#include "spi/grid_transform.h"

namespace xpulse::spi {

FscCurve fourier_shell_correlation(const std::vector<double>& a, const std::vector<double>& b, std::size_t m,
                                   double voxel, unsigned threads) {
  const std::size_t m3 = m * m * m;
  if (a.size() != m3 || b.size() != m3) throw InvalidArgument("FSC needs two densities on the same grid");
  const auto fa = reciprocal_from_real_space(std::vector<std::complex<double>>(a.begin(), a.end()), m, threads);
  const auto fb = reciprocal_from_real_space(std::vector<std::complex<double>>(b.begin(), b.end()), m, threads);
  const std::size_t shells = m / 2 + 1;
  std::vector<double> cross(shells, 0.0), na(shells, 0.0), nb(shells, 0.0);
  FscCurve curve;
  curve.count.assign(shells, 0);
  const double c = static_cast<double>(m / 2);
  for (std::size_t z = 0; z < m; ++z)
    for (std::size_t y = 0; y < m; ++y)
      for (std::size_t x = 0; x < m; ++x) {
        const double r = std::hypot(static_cast<double>(x) - c, static_cast<double>(y) - c, static_cast<double>(z) - c);
        const auto shell = static_cast<std::size_t>(std::lround(r));
        if (shell >= shells) continue;  // the cube's corners beyond the inscribed sphere
        const std::size_t k = x + m * (y + m * z);
        cross[shell] += (fa[k] * std::conj(fb[k])).real();
        na[shell] += std::norm(fa[k]);
        nb[shell] += std::norm(fb[k]);
        ++curve.count[shell];
      }
  const double unit = 1.0 / (static_cast<double>(m) * voxel);
  for (std::size_t s = 0; s < shells; ++s) {
    curve.frequency.push_back(static_cast<double>(s) * unit);
    curve.fsc.push_back(na[s] > 0 && nb[s] > 0 ? cross[s] / std::sqrt(na[s] * nb[s]) : 0.0);
  }
  curve.resolution = 1.0 / curve.frequency.back();
  for (std::size_t s = 1; s < shells; ++s) {
    if (curve.fsc[s] < 0.5) {
      const double f0 = curve.fsc[s - 1], f1 = curve.fsc[s];
      const double t = f0 > f1 ? (f0 - 0.5) / (f0 - f1) : 0.0;
      const double frequency = curve.frequency[s - 1] + t * unit;
      curve.resolution = frequency > 0 ? 1.0 / frequency : INFINITY;
      curve.crossed = true;
      break;
    }
  }
  return curve;
}

}  // namespace xpulse::spi
