// spi::cuda_match_orientations: the CUDA module's matcher (cuda/spi/cuda_matcher.cu).
#include "spi/cuda_matcher.h"

#include "runtime/devices.h"

namespace xpulse::spi {

MatchResult cuda_match_orientations(const float* images, std::size_t n_images, const float* slices,
                                    std::size_t n_references, std::size_t pixels, const MatchOptions& options,
                                    int device) {
  return runtime::cuda_backend<CudaMatchFunction>("xpulse_cuda_match_orientations")(
      images, n_images, slices, n_references, pixels, options, device);
}

}  // namespace xpulse::spi
