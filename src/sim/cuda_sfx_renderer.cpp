// sim::CudaSfxRenderer: forwards to the CUDA module (cuda/sim/cuda_sfx_renderer.cu).
#include "sim/cuda_sfx_renderer.h"

#include "runtime/devices.h"

namespace xpulse::sim {

CudaSfxRenderer::CudaSfxRenderer(const SfxScene& scene, const SfxOptions& options, std::size_t max_batch, int device)
    : impl_(runtime::cuda_backend<Factory>("xpulse_cuda_sfx_renderer")(scene, options, max_batch, device)) {}

CudaSfxRenderer::~CudaSfxRenderer() = default;

const float* CudaSfxRenderer::render_on_device(std::size_t first_frame, std::span<const SfxFrameTruth> frames) {
  return impl_->render_on_device(first_frame, frames);
}

void CudaSfxRenderer::render(std::size_t first_frame, std::span<const SfxFrameTruth> frames, float* out) {
  return impl_->render(first_frame, frames, out);
}

}  // namespace xpulse::sim
