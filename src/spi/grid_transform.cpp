#include "spi/grid_transform.h"

#include "core/error.h"
#include "nufft/fine_grid_fft.h"

namespace xpulse::spi {
namespace {

// The centred DFT sum_k in[k] exp(sign 2 pi i (k - c).(n - c) / M) with c = M / 2: for odd M it is a plain DFT
// of the grid rolled by -c along each axis (centre to index 0), rolled back by +c.
std::vector<std::complex<double>> centred_dft(const std::vector<std::complex<double>>& in, std::size_t m, int sign,
                                              unsigned threads) {
  const std::size_t m3 = m * m * m;
  if (m % 2 == 0 || in.size() != m3) throw InvalidArgument("SPI grids are M^3 with M odd");
  const std::size_t c = m / 2;
  auto rolled = [m, c](std::size_t i) { return (i + m - c) % m; };  // index of k - c in wrap order
  std::vector<std::complex<double>> work(m3);
  for (std::size_t z = 0; z < m; ++z)
    for (std::size_t y = 0; y < m; ++y)
      for (std::size_t x = 0; x < m; ++x) work[rolled(x) + m * (rolled(y) + m * rolled(z))] = in[x + m * (y + m * z)];
  const std::size_t dims[3] = {m, m, m};
  nufft::FineGridFft<double> fft(dims, sign, threads, work.data());
  fft.execute();
  std::vector<std::complex<double>> out(m3);
  for (std::size_t z = 0; z < m; ++z)
    for (std::size_t y = 0; y < m; ++y)
      for (std::size_t x = 0; x < m; ++x) out[x + m * (y + m * z)] = work[rolled(x) + m * (rolled(y) + m * rolled(z))];
  return out;
}

}  // namespace

std::vector<std::complex<double>> real_space_from_reciprocal(const std::vector<std::complex<double>>& reciprocal,
                                                              std::size_t m, unsigned threads) {
  std::vector<std::complex<double>> out = centred_dft(reciprocal, m, -1, threads);
  const double scale = 1.0 / static_cast<double>(m * m * m);
  for (auto& v : out) v *= scale;
  return out;
}

std::vector<std::complex<double>> reciprocal_from_real_space(const std::vector<std::complex<double>>& real_space,
                                                              std::size_t m, unsigned threads) {
  return centred_dft(real_space, m, +1, threads);
}

}  // namespace xpulse::spi
