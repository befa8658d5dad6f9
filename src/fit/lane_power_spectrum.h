#pragma once
// Power spectrum of kLanes real series at once, for the seeder's periodogram. A radix-2 FFT in which every
// value is a vector of kLanes floats: each butterfly is a handful of SIMD instructions shared by all lanes, and
// the zero padding's empty half is skipped. (FFTW on this interleaved layout copies the data through buffers
// and cost more than all the rest of the seeding.) Deterministic: the same arithmetic in every run.
#include <cstddef>
#include <vector>

#include "fit/lanes.h"

namespace xpulse::fit {

class LanePowerSpectrum {
 public:
  // m: transform length, a power of two >= 4.
  explicit LanePowerSpectrum(std::size_t m);

  // x: [n][kLanes], n <= m / 2, zero-padded to m. power: [m / 2 + 1][kLanes]; |X_b|^2 is written for the bins
  // b in [lo, hi] (hi <= m / 2), X_b = sum_j x_j exp(-2 pi i j b / m).
  void compute(const float* x, std::size_t n, std::size_t lo, std::size_t hi, float* power);

 private:
  void radix2_stage(std::size_t len);
  void radix4_stages(std::size_t len);

  std::size_t m_;
  std::size_t half_;                      // complex transform length m / 2: even samples real, odd imaginary
  std::vector<unsigned> bit_reversed_;    // [half_]
  std::vector<float> twiddle_re_, twiddle_im_;  // exp(-2 pi i k / half_), k < half_ / 2
  std::vector<float> split_re_, split_im_;      // exp(-2 pi i k / m), k <= half_: the real-input split
  std::vector<float> re_, im_;            // [half_][kLanes] scratch
};

}  // namespace xpulse::fit
