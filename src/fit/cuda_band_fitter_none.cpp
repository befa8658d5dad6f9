// The CUDA fitting backend of a build without CUDA: BandFitter::create never gets here (cuda_device_count()
// is 0), but the symbol must exist.
#include "core/error.h"
#include "fit/band_fitter.h"

namespace xpulse::fit {

std::unique_ptr<BandFitter> create_cuda_band_fitter(const FitProblem&, const FitOptions&, const std::vector<int>&) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}

}  // namespace xpulse::fit
