#pragma once
// The CUDA twin of correct_jungfrau (cuda/correct/cuda_jungfrau.cu, in the CUDA module): host arrays in the same
// layout, the same per-word arithmetic, the same bits. InputError saying why when no device or module is there.
#include <cstddef>
#include <cstdint>

#include "correct/jungfrau_correction.h"

namespace xpulse::correct {

void correct_jungfrau_cuda(const std::uint16_t* raw, std::size_t frames, std::size_t pixels, float* pedestal,
                           const float* gain, const JungfrauOptions& options, float* values, std::uint8_t* flags,
                           int device = 0);

}  // namespace xpulse::correct
