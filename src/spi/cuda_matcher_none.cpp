// spi::cuda_match_orientations in a build without CUDA.
#include "core/error.h"
#include "spi/cuda_matcher.h"

namespace xpulse::spi {

MatchResult cuda_match_orientations(const float*, std::size_t, const float*, std::size_t, std::size_t,
                                    const MatchOptions&, int) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}

}  // namespace xpulse::spi
