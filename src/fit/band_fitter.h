#pragma once
// The fitting backend interface of the pipelines (ARCHITECTURE.md: one interface per kernel family, chosen by
// a factory). A backend fits every pixel of a band of detector rows; the CPU backend runs tiles on a thread
// pool, the CUDA backend runs blocks of pixels on one or more GPUs with copies and kernels overlapped.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fit/fit_band.h"
#include "fit/fit_maps.h"
#include "fit/fit_problem.h"
#include "runtime/devices.h"
#include "runtime/host_buffer.h"

namespace xpulse::fit {

struct BandFitterOptions {
  runtime::Device device = runtime::Device::cpu;
  unsigned threads = 1;           // CPU worker threads
  std::size_t tile_height = 16;   // CPU tiles
  std::size_t tile_width = 16;
  std::vector<int> gpus;          // CUDA devices to use; empty: device 0
};

class BandFitter {
 public:
  virtual ~BandFitter() = default;

  // Fits every pixel of the band into maps (mask: [ny][nx] of the whole detector, nonzero = bad, or nullptr).
  // on_pixels(n) reports progress. Returns the number of pixels handed to the solver.
  virtual std::size_t fit(const Band& band, const std::uint8_t* mask, FitMaps& maps,
                          const std::function<void(std::size_t pixels)>& on_pixels = {}) = 0;

  // Memory for a band read from a file (pinned for CUDA, so the copies to the device run asynchronously).
  virtual runtime::HostBuffer allocate_host(std::size_t floats) { return runtime::HostBuffer::heap(floats); }

  virtual runtime::Device device() const = 0;
  // What runs the fit, for summaries: "cpu (16 threads)", "cuda: GPU 0 NVIDIA H200 (sm_90, 139.8 GiB)".
  virtual std::string describe() const = 0;

  // auto: CUDA when a device is present, else the CPU. Throws InputError when CUDA is asked for and cannot run.
  static std::unique_ptr<BandFitter> create(const FitProblem& problem, const FitOptions& options,
                                            const BandFitterOptions& backend);
};

// The CUDA backend (cuda/fit/), from the CUDA module (runtime/cuda_module.h, entry point
// "xpulse_cuda_band_fitter"); InputError saying why when the module cannot be loaded.
using CudaBandFitterFactory = std::unique_ptr<BandFitter>(const FitProblem& problem, const FitOptions& options,
                                                          const std::vector<int>& gpus);
std::unique_ptr<BandFitter> create_cuda_band_fitter(const FitProblem& problem, const FitOptions& options,
                                                    const std::vector<int>& gpus);

}  // namespace xpulse::fit
