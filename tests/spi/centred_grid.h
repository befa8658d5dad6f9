#pragma once
// Test densities on the centred M^3 grids of SPI: f evaluated at each voxel's offset from the centre (voxels).
#include <cstddef>
#include <vector>

namespace xpulse::spi {

template <class F>
std::vector<double> centred_grid(std::size_t m, F f) {
  std::vector<double> out(m * m * m);
  const double c = static_cast<double>(m / 2);
  for (std::size_t z = 0; z < m; ++z)
    for (std::size_t y = 0; y < m; ++y)
      for (std::size_t x = 0; x < m; ++x) {
        out[x + m * (y + m * z)] = f(static_cast<double>(x) - c, static_cast<double>(y) - c, static_cast<double>(z) - c);
      }
  return out;
}

}  // namespace xpulse::spi
