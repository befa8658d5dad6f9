#include "correct/jungfrau_correction.h"

#include <algorithm>

#include "runtime/thread_pool.h"

namespace xpulse::correct {
namespace {

constexpr std::size_t kPixelBlock = 4096;  // constants of a block: 96 KiB, held in L2 over all frames

template <bool Track>
void correct_block(const std::uint16_t* raw, std::size_t frames, std::size_t pixels, std::size_t p0, std::size_t p1,
                   float* pedestal, const float* gain, const JungfrauOptions& o, float* values, std::uint8_t* flags) {
  const float* ped1 = pedestal + pixels;
  const float* ped2 = pedestal + 2 * pixels;
  const float* gain0 = gain;
  const float* gain1 = gain + pixels;
  const float* gain2 = gain + 2 * pixels;
  for (std::size_t f = 0; f < frames; ++f) {
    const std::uint16_t* in = raw + f * pixels;
    float* out = values + f * pixels;
    std::uint8_t* flag = flags + f * pixels;
#pragma omp simd
    for (std::size_t p = p0; p < p1; ++p) {
      const float ped[3] = {pedestal[p], ped1[p], ped2[p]};
      const float g[3] = {gain0[p], gain1[p], gain2[p]};
      std::uint8_t bits;
      out[p] = correct_jungfrau_word(in[p], ped, g, o.photon_energy, bits);
      flag[p] = bits;
      if constexpr (Track) pedestal[p] = tracked_pedestal(in[p], bits, out[p], pedestal[p], o);
    }
  }
}

}  // namespace

void correct_jungfrau(const std::uint16_t* raw, std::size_t frames, std::size_t pixels, float* pedestal,
                      const float* gain, const JungfrauOptions& options, float* values, std::uint8_t* flags,
                      runtime::ThreadPool& pool) {
  const std::size_t blocks = (pixels + kPixelBlock - 1) / kPixelBlock;
  pool.parallel_for(blocks, [&](std::size_t b, unsigned) {
    const std::size_t p0 = b * kPixelBlock, p1 = std::min(pixels, p0 + kPixelBlock);
    if (options.pedestal_window > 0) {
      correct_block<true>(raw, frames, pixels, p0, p1, pedestal, gain, options, values, flags);
    } else {
      correct_block<false>(raw, frames, pixels, p0, p1, pedestal, gain, options, values, flags);
    }
  });
}

}  // namespace xpulse::correct
