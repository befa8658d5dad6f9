// Google Benchmark of the per-pixel fit (seeding + LM, and LM alone) at 100, 200 and 400 delays on one thread.
// Traces come from the pump-probe simulator (Poisson noise, 1000 photons) with a fixed 50 fs step.
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <vector>

#include "fit/damped_cosine.h"
#include "fit/damped_cosine_seed.h"
#include "fit/lm_solver.h"
#include "fit/tile_fitter.h"
#include "runtime/thread_pool.h"
#include "sim/pump_probe.h"

namespace {

using namespace xpulse;

struct Stack {
  sim::PumpProbeSimulation sim;
  fit::FitProblem problem;
};

const Stack& stack(std::size_t delays) {
  static std::vector<std::unique_ptr<Stack>> cache;
  for (auto& s : cache) {
    if (s->sim.delays_ps.size() == delays) return *s;
  }
  sim::PumpProbeOptions o;
  o.n_delay = delays;
  o.ny = o.nx = 64;
  o.delay_start_ps = 0.0;
  o.delay_end_ps = 0.05 * static_cast<double>(delays - 1);
  runtime::ThreadPool pool(1);
  auto s = std::make_unique<Stack>();
  s->sim = sim::simulate_pump_probe(o, pool);
  s->problem = fit::FitProblem::make(s->sim.delays_ps, fit::FitOptions{});
  cache.push_back(std::move(s));
  return *cache.back();
}

void BM_FitTile(benchmark::State& state) {
  const Stack& s = stack(static_cast<std::size_t>(state.range(0)));
  const std::size_t ny = s.sim.detector.ny, nx = s.sim.detector.nx;
  fit::FitMaps maps(ny, nx, fit::ModelKind::damped_cosine);
  auto fitter = fit::TileFitter::create_cpu(s.problem, fit::FitOptions{});
  std::size_t fitted = 0;
  for (auto _ : state) {
    for (std::size_t y0 = 0; y0 < ny; y0 += 16) {
      for (std::size_t x0 = 0; x0 < nx; x0 += 16) {
        fit::TileView v{&s.sim.data[y0 * nx + x0], ny * nx, nx, 16, 16, y0, x0};
        fitted += fitter->fit(v, nullptr, maps);
      }
    }
  }
  state.counters["fits/s"] = benchmark::Counter(static_cast<double>(fitted), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FitTile)->Arg(100)->Arg(200)->Arg(400)->Unit(benchmark::kMillisecond);

// The LM solver alone, from the seeds the fitter would use (normalised traces).
void BM_SolveLm(benchmark::State& state) {
  const Stack& s = stack(static_cast<std::size_t>(state.range(0)));
  const std::size_t n = s.problem.t.size(), pixels = s.sim.detector.ny * s.sim.detector.nx;
  std::vector<float> traces(pixels * n);
  for (std::size_t i = 0; i < pixels; ++i) {
    double mean = 0, ss = 0;
    for (std::size_t k = 0; k < n; ++k) mean += s.sim.data[k * pixels + i];
    mean /= static_cast<double>(n);
    for (std::size_t k = 0; k < n; ++k) ss += (s.sim.data[k * pixels + i] - mean) * (s.sim.data[k * pixels + i] - mean);
    const double rms = std::sqrt(ss / static_cast<double>(n)) + 1e-30;
    for (std::size_t k = 0; k < n; ++k) traces[i * n + k] = static_cast<float>((s.sim.data[k * pixels + i] - mean) / rms);
  }
  fit::DampedCosineSeeder seeder(s.problem.t, s.problem.max_frequency_thz);
  std::vector<float> seeds(pixels * 5), params(pixels * 5);
  std::vector<double> chi2(pixels), inverse(pixels * 5);
  std::vector<fit::FitStatus> status(pixels);
  std::vector<int> iterations(pixels);
  seeder.seed(traces.data(), pixels, seeds.data());
  fit::DampedCosine model;
  model.max_frequency = s.problem.max_frequency_thz;
  fit::LmBatch<float, 5> batch{s.problem.t, traces.data(), seeds.data(), pixels, params.data(), chi2.data(),
                               inverse.data(), status.data(), iterations.data()};
  for (auto _ : state) fit::solve_lm(model, batch, fit::LmOptions{});
  state.counters["fits/s"] = benchmark::Counter(static_cast<double>(pixels * state.iterations()),
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SolveLm)->Arg(100)->Arg(200)->Arg(400)->Unit(benchmark::kMillisecond);

// Seeding alone (resampling, spectral peak, linear prediction, linear least squares).
void BM_Seed(benchmark::State& state) {
  const Stack& s = stack(static_cast<std::size_t>(state.range(0)));
  const std::size_t n = s.problem.t.size(), pixels = s.sim.detector.ny * s.sim.detector.nx;
  std::vector<float> traces(pixels * n);
  for (std::size_t i = 0; i < pixels; ++i) {
    for (std::size_t k = 0; k < n; ++k) traces[i * n + k] = s.sim.data[k * pixels + i] / 1000.0f - 0.5f;
  }
  fit::DampedCosineSeeder seeder(s.problem.t, s.problem.max_frequency_thz);
  std::vector<float> seeds(pixels * 5);
  for (auto _ : state) seeder.seed(traces.data(), pixels, seeds.data());
  state.counters["seeds/s"] = benchmark::Counter(static_cast<double>(pixels * state.iterations()),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Seed)->Arg(200)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
