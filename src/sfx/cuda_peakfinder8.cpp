// sfx::CudaPeakFinder8: forwards to the CUDA module (cuda/sfx/cuda_peakfinder8.cu).
#include "sfx/cuda_peakfinder8.h"

#include "runtime/devices.h"

namespace xpulse::sfx {

CudaPeakFinder8::CudaPeakFinder8(const PeakFinder8& finder, std::size_t max_batch, int device)
    : impl_(runtime::cuda_backend<Factory>("xpulse_cuda_peakfinder8")(finder, max_batch, device)) {}

CudaPeakFinder8::~CudaPeakFinder8() = default;

std::vector<std::vector<std::uint32_t>> CudaPeakFinder8::candidates(const float* frames, std::size_t count) {
  return impl_->candidates(frames, count);
}

std::vector<std::vector<std::uint32_t>> CudaPeakFinder8::candidates_on_device(const float* device_frames,
                                                                              std::size_t count) {
  return impl_->candidates_on_device(device_frames, count);
}

}  // namespace xpulse::sfx
