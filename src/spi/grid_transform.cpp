#include "spi/grid_transform.h"

#include <numbers>

#include "core/error.h"
#include "nufft/plan.h"

namespace xpulse::spi {
namespace {

std::vector<std::complex<double>> grid_transform(const std::vector<std::complex<double>>& in, std::size_t m,
                                                 int sign, unsigned threads) {
  const std::size_t m3 = m * m * m;
  if (m % 2 == 0 || in.size() != m3) throw InvalidArgument("SPI grids are M^3 with M odd");
  std::vector<double> x(m3), y(m3), z(m3);
  const double step = 2.0 * std::numbers::pi / static_cast<double>(m), c = static_cast<double>(m / 2);
  for (std::size_t k = 0; k < m3; ++k) {
    x[k] = (static_cast<double>(k % m) - c) * step;
    y[k] = (static_cast<double>((k / m) % m) - c) * step;
    z[k] = (static_cast<double>(k / (m * m)) - c) * step;
  }
  const std::vector<std::size_t> modes = {m, m, m};
  nufft::Plan<double> plan(2, modes, 1e-10, {sign, threads});
  plan.set_points(m3, x.data(), y.data(), z.data());
  std::vector<std::complex<double>> modes_copy(in), out(m3);
  plan.execute(out.data(), modes_copy.data());
  return out;
}

}  // namespace

std::vector<std::complex<double>> real_space_from_reciprocal(const std::vector<std::complex<double>>& reciprocal,
                                                              std::size_t m, unsigned threads) {
  std::vector<std::complex<double>> out = grid_transform(reciprocal, m, -1, threads);
  const double scale = 1.0 / static_cast<double>(m * m * m);
  for (auto& v : out) v *= scale;
  return out;
}

std::vector<std::complex<double>> reciprocal_from_real_space(const std::vector<std::complex<double>>& real_space,
                                                              std::size_t m, unsigned threads) {
  return grid_transform(real_space, m, +1, threads);
}

}  // namespace xpulse::spi
