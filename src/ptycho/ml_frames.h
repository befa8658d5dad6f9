#pragma once
// The per-frame work of the ML engine (ml_cg.h), behind one interface with a CPU and a CUDA implementation: the
// cost and its gradient sums over this rank's frames, and the cost's second derivative along a direction.
#include <memory>
#include <vector>

#include "ptycho/engine.h"

namespace xpulse::ptycho {

class MlFrames {
 public:
  virtual ~MlFrames() = default;
  // The far fields A = F(P O_j) (kept for curvature()), the cost, and in double the gradient sums
  // g_object = sum_j S_j^T conj(P) F^-1 chi_j and (probe refined) g_probe = sum_j conj(O_j) F^-1 chi_j.
  virtual double gradient(const PtychoState& state, std::vector<cdouble>& g_object, std::vector<cdouble>& g_probe) = 0;
  // phi''(0) along (d_object, d_probe), from the A of the last gradient().
  virtual double curvature(const PtychoState& state, const std::vector<cfloat>& d_object,
                           const std::vector<cfloat>& d_probe) = 0;
  // Seconds in FFTs since the last call (summed over threads).
  virtual double take_fft_seconds() = 0;
};

std::unique_ptr<MlFrames> cpu_ml_frames(const PtychoProblem& problem, const EngineOptions& options,
                                        runtime::ThreadPool& pool);
// On CUDA device `device` (cuFFT; sums by atomics, so the last bits may differ between runs), from the CUDA
// module (entry point "xpulse_cuda_ml_frames"); InputError saying why when the module cannot be loaded.
using CudaMlFramesFactory = std::unique_ptr<MlFrames>(const PtychoProblem& problem, const EngineOptions& options,
                                                      int device);
std::unique_ptr<MlFrames> cuda_ml_frames(const PtychoProblem& problem, const EngineOptions& options, int device);

}  // namespace xpulse::ptycho
