// Ptychography: seconds per iteration of each engine on the README's problem (1,024 positions of 128x128 frames on
// a 512x512 Siemens star, Poisson counts at 1e6 photons per frame, starting from the true probe), with the probe
// refined (probe_refine 1, as the PtyPy comparison ran) and not (0), for 1 and 2 threads, beside the pure batched
// FFT of the same frames (FFTW's plan_many, one forward transform of all 1,024 frames) measured in the same run.
// Counters: fft_share (the engine's own FFT time / its thread time), over_batched_fft (the iteration's time over
// the batched FFT time of the transforms it needs: ePIE and DM two per frame; ML two forward and one inverse, four
// with the probe).
#include <benchmark/benchmark.h>
#include <fftw3.h>

#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include "ptycho/engine.h"
#include "sim/ptycho_simulation.h"

namespace {

using xpulse::ptycho::cfloat;

struct Problem {
  xpulse::sim::PtychoSimulation sim;
  xpulse::ptycho::PtychoProblem problem;
};

const Problem& problem() {
  static const Problem p = [] {
    xpulse::sim::PtychoSimOptions o;  // the defaults: 512, 128, 1,024 raster positions, 1e6 photons
    xpulse::runtime::ThreadPool pool(xpulse::runtime::default_thread_count());
    Problem q;
    q.sim = xpulse::sim::simulate_ptycho(xpulse::sim::siemens_star(o.object_size), o, pool);
    q.problem = xpulse::ptycho::make_problem(q.sim.intensities, o.positions, o.probe_size, {}, q.sim.positions,
                                             o.object_size, o.object_size);
    return q;
  }();
  return p;
}

// One forward FFT of all 1,024 frames with `threads` FFTW threads.
double batched_fft_seconds(int threads) {
  static std::map<int, double> measured;
  if (measured.count(threads)) return measured[threads];
  const double seconds = [threads] {
    const int n = 128, frames = 1024, dims[2] = {n, n};
    fftwf_init_threads();
    fftwf_plan_with_nthreads(threads);
    auto* data = fftwf_alloc_complex(static_cast<std::size_t>(frames) * n * n);
    for (std::size_t k = 0; k < static_cast<std::size_t>(frames) * n * n; ++k) data[k][0] = 1, data[k][1] = 0;
    fftwf_plan plan = fftwf_plan_many_dft(2, dims, frames, data, nullptr, 1, n * n, data, nullptr, 1, n * n,
                                          FFTW_FORWARD, FFTW_ESTIMATE);
    fftwf_execute(plan);  // warm
    const auto start = std::chrono::steady_clock::now();
    constexpr int kRepeats = 5;
    for (int i = 0; i < kRepeats; ++i) fftwf_execute(plan);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / kRepeats;
    fftwf_destroy_plan(plan);
    fftwf_free(data);
    fftwf_plan_with_nthreads(1);
    return s;
  }();
  return measured[threads] = seconds;
}

void BM_batched_fft(benchmark::State& state) {
  const auto threads = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(batched_fft_seconds(threads));
  state.counters["seconds_per_1024_frames"] = batched_fft_seconds(threads);
}

void BM_iteration(benchmark::State& state) {
  const auto algorithm = static_cast<xpulse::ptycho::Algorithm>(state.range(0));
  const auto threads = static_cast<unsigned>(state.range(1));
  const bool refine = state.range(2) != 0;
  const Problem& p = problem();
  xpulse::runtime::ThreadPool pool(threads);
  xpulse::ptycho::EngineOptions options;
  options.algorithm = algorithm;
  options.noise = xpulse::ptycho::NoiseModel::poisson;
  options.probe_refine = refine;
  auto engine = xpulse::ptycho::Engine::create(p.problem, options, pool);
  xpulse::ptycho::PtychoState s;
  s.object.assign(p.problem.object_ny * p.problem.object_nx, cfloat(1, 0));
  s.probe = p.sim.probe;
  engine->iterate(s);  // first-touch allocations
  double fft = 0, total = 0;
  for (auto _ : state) {
    engine->iterate(s);
    fft += s.history.back().fft_seconds;
    total += s.history.back().seconds;
  }
  state.counters["fft_share"] = fft / (total * threads);
  const bool ml = algorithm == xpulse::ptycho::Algorithm::ml;
  const double transforms = ml ? (refine ? 4 : 3) : 2;
  const double per_iteration = total / static_cast<double>(state.iterations());
  state.counters["over_batched_fft"] = per_iteration / (transforms * batched_fft_seconds(static_cast<int>(threads)));
  state.SetLabel(xpulse::ptycho::algorithm_name(algorithm));
}

}  // namespace

BENCHMARK(BM_batched_fft)->Arg(1)->Arg(2)->ArgName("threads")->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_iteration)
    ->ArgsProduct({{static_cast<int>(xpulse::ptycho::Algorithm::epie), static_cast<int>(xpulse::ptycho::Algorithm::dm),
                    static_cast<int>(xpulse::ptycho::Algorithm::ml)},
                   {1, 2}, {0, 1}})
    ->ArgNames({"algorithm", "threads", "probe_refine"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
