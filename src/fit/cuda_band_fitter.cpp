// fit::create_cuda_band_fitter: the CUDA module's fitter (cuda/fit/cuda_band_fitter.cu).
#include "fit/band_fitter.h"
#include "runtime/devices.h"

namespace xpulse::fit {

std::unique_ptr<BandFitter> create_cuda_band_fitter(const FitProblem& problem, const FitOptions& options,
                                                    const std::vector<int>& gpus) {
  return runtime::cuda_backend<CudaBandFitterFactory>("xpulse_cuda_band_fitter")(problem, options, gpus);
}

}  // namespace xpulse::fit
