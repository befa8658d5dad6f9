// SPI orientation matching against the machine's OpenBLAS sgemm of the same shape: the matching's cross term is
// that GEMM, so its rate (FLOP/s counted as 2 n_images n_references pixels) should be close to sgemm's.
// Spinifel's demo size per rank block: 1024 images x 10,000 references x 128 x 128 pixels; a smaller default
// keeps the run short (set the arguments to the demo size for the full one).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <random>
#include <vector>

#include "runtime/thread_pool.h"
#include "spi/orientation_matching.h"

namespace {

std::vector<float> random_floats(std::size_t n, unsigned seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(g);
  return v;
}

void set_flops(benchmark::State& state, std::size_t images, std::size_t references, std::size_t pixels) {
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * images * references * pixels * 1e-9 * state.iterations(),
                                                 benchmark::Counter::kIsRate);
}

void BM_match_orientations(benchmark::State& state) {
  const auto images = static_cast<std::size_t>(state.range(0)), references = static_cast<std::size_t>(state.range(1)),
             pixels = static_cast<std::size_t>(state.range(2));
  const std::vector<float> x = random_floats(images * pixels, 1), y = random_floats(references * pixels, 2);
  xpulse::runtime::ThreadPool pool(xpulse::runtime::default_thread_count());
  for (auto _ : state) {
    auto r = xpulse::spi::match_orientations(x.data(), images, y.data(), references, pixels, {true, 1024}, pool);
    benchmark::DoNotOptimize(r.best.data());
  }
  set_flops(state, images, references, pixels);
}

void BM_sgemm(benchmark::State& state) {
  const int images = static_cast<int>(state.range(0)), references = static_cast<int>(state.range(1)),
            pixels = static_cast<int>(state.range(2));
  const std::vector<float> x = random_floats(static_cast<std::size_t>(images) * pixels, 1),
                           y = random_floats(static_cast<std::size_t>(references) * pixels, 2);
  std::vector<float> c(static_cast<std::size_t>(images) * references);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, images, references, pixels, 1.0f, x.data(), pixels, y.data(),
                pixels, 0.0f, c.data(), references);
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(state, images, references, pixels);
}

}  // namespace

BENCHMARK(BM_match_orientations)->Args({1024, 2000, 128 * 128})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sgemm)->Args({1024, 2000, 128 * 128})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
