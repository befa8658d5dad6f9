// sfx::CudaDirectionScores: forwards to the CUDA module (cuda/sfx/cuda_direction_scores.cu).
#include "runtime/devices.h"
#include "sfx/direction_scores.h"

namespace xpulse::sfx {

CudaDirectionScores::CudaDirectionScores(int device)
    : impl_(runtime::cuda_backend<Factory>("xpulse_cuda_direction_scores")(device)) {}

CudaDirectionScores::~CudaDirectionScores() = default;

std::vector<double> CudaDirectionScores::scores(const ScorePeaks& peaks, double length, std::size_t n) {
  return impl_->scores(peaks, length, n);
}

}  // namespace xpulse::sfx
