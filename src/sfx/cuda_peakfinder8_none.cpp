// sfx::CudaPeakFinder8 in a build without CUDA.
#include "core/error.h"
#include "sfx/cuda_peakfinder8.h"

namespace xpulse::sfx {

struct CudaPeakFinder8::Impl {};

CudaPeakFinder8::CudaPeakFinder8(const PeakFinder8&, std::size_t, int) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}

CudaPeakFinder8::~CudaPeakFinder8() = default;

std::vector<std::vector<std::uint32_t>> CudaPeakFinder8::candidates(const float*, std::size_t) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}

std::vector<std::vector<std::uint32_t>> CudaPeakFinder8::candidates_on_device(const float*, std::size_t) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}

}  // namespace xpulse::sfx
