// correct_jungfrau_cuda: forwards to the CUDA module (cuda/correct/cuda_jungfrau.cu).
#include "correct/cuda_jungfrau.h"

#include "runtime/devices.h"

namespace xpulse::correct {

void correct_jungfrau_cuda(const std::uint16_t* raw, std::size_t frames, std::size_t pixels, float* pedestal,
                           const float* gain, const JungfrauOptions& options, float* values, std::uint8_t* flags,
                           int device) {
  using Entry = void(const std::uint16_t*, std::size_t, std::size_t, float*, const float*, const JungfrauOptions&,
                     float*, std::uint8_t*, int);
  runtime::cuda_backend<Entry>("xpulse_cuda_correct_jungfrau")(raw, frames, pixels, pedestal, gain, options, values,
                                                                flags, device);
}

}  // namespace xpulse::correct
