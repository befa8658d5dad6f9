#pragma once
// The CUDA twin of match_orientations (orientation_matching.h): the cross terms of every block of images with all
// slices by one cuBLAS sgemm on the device, then the distances and the argmin by a kernel (one thread block per
// image; ties go to the lowest reference, as on the CPU). Norms and distances are in double, as on the CPU;
// cuBLAS sums the cross terms in another order than OpenBLAS, so near-ties may be resolved differently.
// It runs in the CUDA module (entry point "xpulse_cuda_match_orientations"); InputError saying why when the module
// cannot be loaded.
#include <cstddef>

#include "spi/orientation_matching.h"

namespace xpulse::spi {

using CudaMatchFunction = MatchResult(const float* images, std::size_t n_images, const float* slices,
                                      std::size_t n_references, std::size_t pixels, const MatchOptions& options,
                                      int device);

MatchResult cuda_match_orientations(const float* images, std::size_t n_images, const float* slices,
                                    std::size_t n_references, std::size_t pixels, const MatchOptions& options,
                                    int device = 0);

}  // namespace xpulse::spi
