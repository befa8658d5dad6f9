#pragma once
// The CUDA twin of PeakFinder8's steps 1 and 2 (sfx/peakfinder8.h), the passes over every pixel, for a batch of
// frames at a time: the radial statistics with their 5 clipping rounds (one thread per radius bin and frame,
// adding the bin's pixels in scan order in double without contraction, so that every sum is bit-identical to
// the CPU's), then the candidate pixels (one thread per pixel). Steps 3 and 4 (regions, local background,
// centroids) run on the host from the few candidates with PeakFinder8::peaks_from_candidates, so the peak lists
// are the CPU's. The work runs in the CUDA module (runtime/cuda_module.h); InputError saying why on construction
// when the module cannot be loaded.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sfx/peakfinder8.h"

namespace xpulse::sfx {

class CudaPeakFinder8 {
 public:
  // Device memory for max_batch frames of the finder's shape.
  CudaPeakFinder8(const PeakFinder8& finder, std::size_t max_batch, int device = 0);
  ~CudaPeakFinder8();
  CudaPeakFinder8(const CudaPeakFinder8&) = delete;
  CudaPeakFinder8& operator=(const CudaPeakFinder8&) = delete;

  // The candidates (increasing pixel indices) of each of `count` <= max_batch frames [count][ny][nx] on the host.
  std::vector<std::vector<std::uint32_t>> candidates(const float* frames, std::size_t count);
  // The same for frames already in this device's memory (e.g. from sim::CudaSfxRenderer::render_on_device).
  std::vector<std::vector<std::uint32_t>> candidates_on_device(const float* device_frames, std::size_t count);

  // What the module implements; its entry point "xpulse_cuda_peakfinder8" is a Factory.
  class Backend {
   public:
    virtual ~Backend() = default;
    virtual std::vector<std::vector<std::uint32_t>> candidates(const float* frames, std::size_t count) = 0;
    virtual std::vector<std::vector<std::uint32_t>> candidates_on_device(const float* frames, std::size_t count) = 0;
  };
  using Factory = std::unique_ptr<Backend>(const PeakFinder8& finder, std::size_t max_batch, int device);

 private:
  std::unique_ptr<Backend> impl_;
};

}  // namespace xpulse::sfx
