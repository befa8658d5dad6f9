// Google Benchmark of the CUDA fit kernel alone (data on the device; copies excluded) at 100, 200 and 400 delays
// over 4 Mpx (2048 x 2048), reported as fits/s. The traces are the pump-probe simulator's (Poisson noise) on a
// 50 fs grid, a 256 x 256 simulation tiled over the 4 Mpx so every pixel is a realistic trace.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "../cuda/fit/kernel_timing.h"
#include "runtime/devices.h"
#include "runtime/thread_pool.h"
#include "sim/pump_probe.h"

namespace {

using namespace xpulse;

constexpr std::size_t kSide = 2048;  // 4 Mpx

void BM_CudaFitKernel(benchmark::State& state) {
  if (runtime::cuda_device_count() == 0) {
    state.SkipWithError(runtime::cuda_unavailable_reason().c_str());
    return;
  }
  const auto delays = static_cast<std::size_t>(state.range(0));
  sim::PumpProbeOptions o;
  o.n_delay = delays;
  o.ny = o.nx = 256;
  o.delay_start_ps = 0.0;
  o.delay_end_ps = 0.05 * static_cast<double>(delays - 1);
  runtime::ThreadPool pool(runtime::default_thread_count());
  const sim::PumpProbeSimulation s = sim::simulate_pump_probe(o, pool);
  const fit::FitProblem problem = fit::FitProblem::make(s.delays_ps, fit::FitOptions{});
  const std::size_t n = problem.t.size(), pixels = kSide * kSide, tile = o.ny * o.nx;
  std::vector<float> data(n * pixels);
  for (std::size_t k = 0; k < n; ++k) {
    const float* frame = &s.data[(problem.first_delay + k) * tile];
    for (std::size_t p = 0; p < pixels; ++p) data[k * pixels + p] = frame[p % tile];
  }
  fit::KernelTiming t;
  for (auto _ : state) {
    t = fit::time_fit_kernel(problem, fit::FitOptions{}, data.data(), pixels, 0);
    state.SetIterationTime(t.seconds);
  }
  state.counters["fits_per_s"] = static_cast<double>(t.fitted) / t.seconds;
  state.counters["pixels"] = static_cast<double>(pixels);
  state.SetLabel(runtime::cuda_device_name(0));
}
BENCHMARK(BM_CudaFitKernel)->Arg(100)->Arg(200)->Arg(400)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
