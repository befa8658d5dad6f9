#pragma once
// The centred M^3 grids of SPI (M odd): reciprocal points q_k = (k - M/2) dq and real-space points
// r_n = (n - M/2) v with v = 2 pi / (M dq), index [z][y][x] (x fastest). The discrete transform pair between
// them, f(r_n) = (1 / M^3) sum_k F(q_k) exp(-i q_k . r_n) and back, is a DFT (FFTW) of the grids rolled so that
// the centre sits at index 0 (q_k . r_n = 2 pi (k - M/2).(n - M/2) / M).
#include <complex>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace xpulse::spi {

// f on the real-space grid from F on the reciprocal grid.
std::vector<std::complex<double>> real_space_from_reciprocal(const std::vector<std::complex<double>>& reciprocal,
                                                              std::size_t m, unsigned threads);

// F on the reciprocal grid from f on the real-space grid: F(q_k) = sum_n f(r_n) exp(i q_k . r_n).
std::vector<std::complex<double>> reciprocal_from_real_space(const std::vector<std::complex<double>>& real_space,
                                                              std::size_t m, unsigned threads);

// The grid rolled by -M/2 along each axis (the centre to index 0, the layout of a plain DFT), and back.
template <class T>
std::vector<T> roll_centre_to_origin(const std::vector<T>& in, std::size_t m);
template <class T>
std::vector<T> roll_origin_to_centre(const std::vector<T>& in, std::size_t m);

}  // namespace xpulse::spi
