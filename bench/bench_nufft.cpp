// NUFFT throughput (REFERENCE.md section 2, issue acceptance): 3D, 128^3 modes, 1e7 uniformly random points,
// eps 1e-6, float and double, types 1 and 2, 1 and 2 threads, and the CUDA plan (skipped with the reason
// without a device; its times include copying c and f between host and device). Reports non-uniform points per
// second of execute() and the time split (sort in set_points; spread or interpolate, FFT, deconvolve).
//
//   build/bench/xpulse_bench_nufft [--points N] [--modes N] [--eps E]   (plus Google Benchmark flags)
#include <benchmark/benchmark.h>

#include <complex>
#include <cstdlib>
#include <cstring>
#include <numbers>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "nufft/cuda_plan.h"
#include "nufft/plan.h"
#include "runtime/devices.h"

namespace {

std::size_t g_points = 10'000'000;
std::size_t g_modes = 128;
double g_eps = 1e-6;

template <class T, template <class> class PlanT>
void bench_nufft(benchmark::State& state) {
  constexpr bool kGpu = std::is_same_v<PlanT<T>, xpulse::nufft::CudaPlan<T>>;
  if (kGpu && xpulse::runtime::cuda_device_count() == 0) {
    state.SkipWithError(xpulse::runtime::cuda_unavailable_reason().c_str());
    return;
  }
  const int type = static_cast<int>(state.range(0));
  const auto threads = static_cast<unsigned>(state.range(1));
  static std::vector<T> x, y, z;  // shared by the benchmarks of one precision
  if (x.size() != g_points) {
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> u(-std::numbers::pi, std::numbers::pi);
    x.resize(g_points), y.resize(g_points), z.resize(g_points);
    for (std::size_t i = 0; i < g_points; ++i) x[i] = T(u(rng)), y[i] = T(u(rng)), z[i] = T(u(rng));
  }
  const std::vector<std::size_t> modes = {g_modes, g_modes, g_modes};
  PlanT<T> plan(type, modes, g_eps, {+1, threads});
  std::vector<std::complex<T>> c(g_points, std::complex<T>(1, 0.5)), f(g_modes * g_modes * g_modes, std::complex<T>(0.25, 1));
  plan.set_points(g_points, x.data(), y.data(), z.data());
  double sort = plan.timings().sort, spread = 0, fft = 0, deconvolve = 0;
  for (auto _ : state) {
    plan.execute(c.data(), f.data());
    benchmark::DoNotOptimize(c.data());
    benchmark::DoNotOptimize(f.data());
    spread += plan.timings().spread, fft += plan.timings().fft, deconvolve += plan.timings().deconvolve;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["points_per_s"] =
      benchmark::Counter(static_cast<double>(g_points) * n, benchmark::Counter::kIsRate);
  state.counters["sort_s"] = sort;
  state.counters[type == 1 ? "spread_s" : "interp_s"] = spread / n;
  state.counters["fft_s"] = fft / n;
  state.counters["deconv_s"] = deconvolve / n;
  state.counters["width"] = plan.kernel_width();
}

}  // namespace

using xpulse::nufft::CudaPlan;
using xpulse::nufft::Plan;
BENCHMARK(bench_nufft<double, Plan>)->Name("nufft3d/double")->ArgsProduct({{1, 2}, {1, 2}})
    ->ArgNames({"type", "threads"})->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK(bench_nufft<float, Plan>)->Name("nufft3d/float")->ArgsProduct({{1, 2}, {1, 2}})
    ->ArgNames({"type", "threads"})->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
// The GPU: several executes per point set (the first includes cuFFT's and the allocator's warm-up).
BENCHMARK(bench_nufft<double, CudaPlan>)->Name("nufft3d_cuda/double")->ArgsProduct({{1, 2}, {1}})
    ->ArgNames({"type", "threads"})->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();
BENCHMARK(bench_nufft<float, CudaPlan>)->Name("nufft3d_cuda/float")->ArgsProduct({{1, 2}, {1}})
    ->ArgNames({"type", "threads"})->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--points" && i + 1 < argc) g_points = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--modes" && i + 1 < argc) g_modes = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--eps" && i + 1 < argc) g_eps = std::strtod(argv[++i], nullptr);
    else rest.push_back(argv[i]);
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
