// sfx::CudaDirectionScores in a build without CUDA.
#include "core/error.h"
#include "sfx/direction_scores.h"

namespace xpulse::sfx {

struct CudaDirectionScores::Impl {};

CudaDirectionScores::CudaDirectionScores(int) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}

CudaDirectionScores::~CudaDirectionScores() = default;

std::vector<double> CudaDirectionScores::scores(const ScorePeaks&, double, std::size_t) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}

}  // namespace xpulse::sfx
