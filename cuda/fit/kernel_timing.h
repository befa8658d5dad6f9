#pragma once
// Times the CUDA fit kernel alone (data already on the device, copies excluded) for benchmarks.
#include <cstddef>

#include "fit/fit_problem.h"

namespace xpulse::fit {

struct KernelTiming {
  double seconds = 0.0;     // kernel time, measured with CUDA events
  std::size_t fitted = 0;   // pixels handed to the solver
};

// data: [n_fitted_delays][pixels] (delay-major). Runs the kernel once on `device` over all pixels.
KernelTiming time_fit_kernel(const FitProblem& problem, const FitOptions& options, const float* data,
                             std::size_t pixels, int device);

}  // namespace xpulse::fit
