#pragma once
// The CUDA twin of render_sfx_frame (sim/sfx_scene.h) for a batch of frames at a time: one thread per pixel adds
// the spots that reach it (found through 16 x 16 pixel bins built on the host, visited in the frame's spot order,
// so that each float sum is the CPU's) to the background, then draws the pixel's counting and readout noise from
// the same counter-based stream as the CPU (sim/detector_noise.h). Frames therefore agree with the CPU's up to
// the last bits of erf/exp/log/lgamma, which rarely move a count. The work runs in the CUDA module
// (runtime/cuda_module.h); InputError saying why on construction when the module cannot be loaded.
#include <cstddef>
#include <memory>
#include <span>

#include "sim/sfx_scene.h"

namespace xpulse::sim {

class CudaSfxRenderer {
 public:
  // The scene's background and mask on the device, and room for max_batch frames.
  CudaSfxRenderer(const SfxScene& scene, const SfxOptions& options, std::size_t max_batch, int device = 0);
  ~CudaSfxRenderer();
  CudaSfxRenderer(const CudaSfxRenderer&) = delete;
  CudaSfxRenderer& operator=(const CudaSfxRenderer&) = delete;

  // Frames first_frame .. first_frame + frames.size() - 1 (at most max_batch) in ADU, [count][ny][nx], left in
  // device memory: the pointer is valid until the next call.
  const float* render_on_device(std::size_t first_frame, std::span<const SfxFrameTruth> frames);
  // The same, copied into `out` on the host.
  void render(std::size_t first_frame, std::span<const SfxFrameTruth> frames, float* out);

  // What the module implements; its entry point "xpulse_cuda_sfx_renderer" is a Factory.
  class Backend {
   public:
    virtual ~Backend() = default;
    virtual const float* render_on_device(std::size_t first_frame, std::span<const SfxFrameTruth> frames) = 0;
    virtual void render(std::size_t first_frame, std::span<const SfxFrameTruth> frames, float* out) = 0;
  };
  using Factory = std::unique_ptr<Backend>(const SfxScene& scene, const SfxOptions& options, std::size_t max_batch,
                                           int device);

 private:
  std::unique_ptr<Backend> impl_;
};

}  // namespace xpulse::sim
