#pragma once
// Times the CUDA fit kernel alone (data already on the device, copies excluded) for benchmarks: the CUDA
// module's entry point "xpulse_cuda_time_fit_kernel".
#include <cstddef>

#include "fit/fit_problem.h"
#include "runtime/cuda_module.h"

namespace xpulse::fit {

struct KernelTiming {
  double seconds = 0.0;     // kernel time, measured with CUDA events
  std::size_t fitted = 0;   // pixels handed to the solver
};

using TimeFitKernel = KernelTiming(const FitProblem& problem, const FitOptions& options, const float* data,
                                   std::size_t pixels, int device);

// data: [n_fitted_delays][pixels] (delay-major). Runs the kernel once on `device` over all pixels.
inline KernelTiming time_fit_kernel(const FitProblem& problem, const FitOptions& options, const float* data,
                                    std::size_t pixels, int device) {
  return runtime::cuda_module_function<TimeFitKernel>("xpulse_cuda_time_fit_kernel")(problem, options, data, pixels,
                                                                                     device);
}

}  // namespace xpulse::fit
