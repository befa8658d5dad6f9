// ptycho::cuda_ml_frames in a build without CUDA.
#include "core/error.h"
#include "ptycho/ml_frames.h"

namespace xpulse::ptycho {

std::unique_ptr<MlFrames> cuda_ml_frames(const PtychoProblem&, const EngineOptions&, int) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}

}  // namespace xpulse::ptycho
