// ptycho::cuda_ml_frames: the CUDA module's ML frames (cuda/ptycho/cuda_ml_frames.cu).
#include "ptycho/ml_frames.h"
#include "runtime/devices.h"

namespace xpulse::ptycho {

std::unique_ptr<MlFrames> cuda_ml_frames(const PtychoProblem& problem, const EngineOptions& options, int device) {
  return runtime::cuda_backend<CudaMlFramesFactory>("xpulse_cuda_ml_frames")(problem, options, device);
}

}  // namespace xpulse::ptycho
