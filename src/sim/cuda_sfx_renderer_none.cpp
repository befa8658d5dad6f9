// sim::CudaSfxRenderer in a build without CUDA.
#include "core/error.h"
#include "sim/cuda_sfx_renderer.h"

namespace xpulse::sim {

struct CudaSfxRenderer::Impl {};

CudaSfxRenderer::CudaSfxRenderer(const SfxScene&, const SfxOptions&, std::size_t, int) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}

CudaSfxRenderer::~CudaSfxRenderer() = default;

const float* CudaSfxRenderer::render_on_device(std::size_t, std::span<const SfxFrameTruth>) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}

void CudaSfxRenderer::render(std::size_t, std::span<const SfxFrameTruth>, float*) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}

}  // namespace xpulse::sim
