#include "spi/grid_transform.h"

#include "core/error.h"
#include "nufft/fine_grid_fft.h"

namespace xpulse::spi {
namespace {

// The centred DFT sum_k in[k] exp(sign 2 pi i (k - c).(n - c) / M) with c = M / 2: for odd M it is a plain DFT
// of the grid rolled by -c along each axis (centre to index 0), rolled back by +c.
std::size_t rolled(std::size_t i, std::size_t m) { return (i + m - m / 2) % m; }  // where offset i - M/2 goes

template <class T>
std::vector<T> roll(const std::vector<T>& in, std::size_t m, bool to_origin) {
  std::vector<T> out(in.size());
  for (std::size_t z = 0; z < m; ++z)
    for (std::size_t y = 0; y < m; ++y)
      for (std::size_t x = 0; x < m; ++x) {
        const std::size_t centred = x + m * (y + m * z), origin = rolled(x, m) + m * (rolled(y, m) + m * rolled(z, m));
        if (to_origin) out[origin] = in[centred];
        else out[centred] = in[origin];
      }
  return out;
}

// The centred DFT sum_k in[k] exp(sign 2 pi i (k - c).(n - c) / M) with c = M / 2: for odd M it is a plain DFT
// of the grid rolled by -c along each axis (centre to index 0), rolled back by +c.
std::vector<std::complex<double>> centred_dft(const std::vector<std::complex<double>>& in, std::size_t m, int sign,
                                              unsigned threads) {
  if (m % 2 == 0 || in.size() != m * m * m) throw InvalidArgument("SPI grids are M^3 with M odd");
  std::vector<std::complex<double>> work = roll(in, m, true);
  const std::size_t dims[3] = {m, m, m};
  nufft::FineGridFft<double> fft(dims, sign, threads, work.data());
  fft.execute();
  return roll(work, m, false);
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

template <class T>
std::vector<T> roll_centre_to_origin(const std::vector<T>& in, std::size_t m) {
  return roll(in, m, true);
}
template <class T>
std::vector<T> roll_origin_to_centre(const std::vector<T>& in, std::size_t m) {
  return roll(in, m, false);
}
template std::vector<double> roll_centre_to_origin(const std::vector<double>&, std::size_t);
template std::vector<double> roll_origin_to_centre(const std::vector<double>&, std::size_t);
template std::vector<std::uint8_t> roll_centre_to_origin(const std::vector<std::uint8_t>&, std::size_t);
template std::vector<std::uint8_t> roll_origin_to_centre(const std::vector<std::uint8_t>&, std::size_t);

}  // namespace xpulse::spi
