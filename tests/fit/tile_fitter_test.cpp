// Known-answer tests of the CPU tile fitter on simulated stacks (in memory, no files).
#include "fit/tile_fitter.h"

#include <cmath>
#include <cstring>
#include <numbers>

#include <gtest/gtest.h>

#include "fit/fit_status.h"
#include "runtime/thread_pool.h"
#include "sim/pump_probe.h"

namespace xpulse::fit {
namespace {

FitMaps fit_all(const sim::PumpProbeSimulation& s, const FitOptions& options,
                std::size_t tile) {
  const std::size_t ny = s.detector.ny, nx = s.detector.nx;
  const FitProblem problem = FitProblem::make(s.delays_ps, options);
  std::vector<std::uint8_t> mask(s.mask.size());
  for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = s.mask[i] != 0;
  FitMaps maps(ny, nx, options.model);
  auto fitter = TileFitter::create_cpu(problem, options);
  for (std::size_t y0 = 0; y0 < ny; y0 += tile) {
    for (std::size_t x0 = 0; x0 < nx; x0 += tile) {
      TileView view{&s.data[problem.first_delay * ny * nx + y0 * nx + x0], ny * nx, nx,
                    std::min(tile, ny - y0), std::min(tile, nx - x0), y0, x0};
      (void)fitter->fit(view, mask.data(), maps);
    }
  }
  return maps;
}

double phase_difference(double a, double b) {
  double d = a - b;
  return d - 2.0 * std::numbers::pi * std::round(d / (2.0 * std::numbers::pi));
}

void expect_noise_free_recovery(const sim::PumpProbeSimulation& s, const FitMaps& maps) {
  std::size_t signal = 0, converged = 0, accurate = 0;
  double worst[5] = {};
  for (std::size_t i = 0; i < maps.pixels(); ++i) {
    const auto status = static_cast<FitStatus>(maps.status[i]);
    if (s.mask[i] != 0) {
      EXPECT_EQ(status, FitStatus::masked);
      continue;
    }
    if (s.truth.amplitude[i] == 0.0f) {
      EXPECT_EQ(status, FitStatus::no_signal) << "pixel " << i;
      EXPECT_TRUE(std::isnan(maps.value[0][i]));
      continue;
    }
    ++signal;
    converged += status == FitStatus::converged;
    const double rel[5] = {
        std::abs(maps.value[0][i] / s.truth.frequency[i] - 1.0),
        std::abs(maps.value[1][i] / s.truth.amplitude[i] - 1.0),
        std::abs(maps.value[2][i] / s.truth.damping[i] - 1.0),
        std::abs(phase_difference(maps.value[3][i], s.truth.phase[i])),
        std::abs(maps.value[4][i] / s.truth.offset[i] - 1.0),
    };
    bool ok = true;
    for (int a = 0; a < 5; ++a) {
      worst[a] = std::max(worst[a], rel[a]);
      ok &= rel[a] <= 1e-5;
    }
    accurate += ok;
  }
  ASSERT_GT(signal, 1000u);
  EXPECT_GE(static_cast<double>(converged), 0.999 * static_cast<double>(signal));
  EXPECT_EQ(accurate, signal) << "worst relative errors f " << worst[0] << " A " << worst[1] << " g "
                              << worst[2] << " phi(rad) " << worst[3] << " C " << worst[4];
}

sim::PumpProbeOptions small(bool nonuniform) {
  sim::PumpProbeOptions o;
  o.n_delay = 160;
  o.ny = 48;
  o.nx = 64;
  o.noise = sim::Noise::none;
  o.nonuniform = nonuniform;
  o.seed = 7;
  return o;
}

TEST(TileFitter, NoiseFreeUniformDelaysRecoverTruth) {
  runtime::ThreadPool pool(2);
  const auto s = sim::simulate_pump_probe(small(false), pool);
  expect_noise_free_recovery(s, fit_all(s, FitOptions{}, 16));
}

TEST(TileFitter, NoiseFreeNonUniformDelaysRecoverTruth) {
  runtime::ThreadPool pool(2);
  const auto s = sim::simulate_pump_probe(small(true), pool);
  expect_noise_free_recovery(s, fit_all(s, FitOptions{}, 16));
}

TEST(TileFitter, ResultsAreBitIdenticalForAnyTileSize) {
  runtime::ThreadPool pool(2);
  auto o = small(false);
  o.noise = sim::Noise::poisson;
  const auto s = sim::simulate_pump_probe(o, pool);
  const FitMaps a = fit_all(s, FitOptions{}, 16);
  const FitMaps b = fit_all(s, FitOptions{}, 7);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.iterations, b.iterations);
  for (std::size_t p = 0; p < a.value.size(); ++p) {
    EXPECT_EQ(0, std::memcmp(a.value[p].data(), b.value[p].data(), a.value[p].size() * sizeof(float)));
    EXPECT_EQ(0, std::memcmp(a.std_error[p].data(), b.std_error[p].data(), a.value[p].size() * sizeof(float)));
  }
}

TEST(TileFitter, NoiseFreeDampedCosineWithBackgroundRecoversTruth) {
  // I = C + A e^{-g t} cos(2 pi f t + phi) + B e^{-t / tau}, 16x16 pixels, 200 delays over 10 ps.
  const std::size_t n = 200, side = 16, pixels = side * side;
  std::vector<double> delays(n);
  for (std::size_t k = 0; k < n; ++k) delays[k] = 10.0 * static_cast<double>(k) / (n - 1);
  std::vector<double> truth[7];
  std::vector<float> data(n * pixels);
  for (std::size_t i = 0; i < pixels; ++i) {
    const double u = static_cast<double>(i) / pixels;
    const double p[7] = {1.0 + 3.0 * u, 40.0 + 30.0 * u, 0.1 + 0.2 * u, -2.5 + 5.0 * u, 500.0, 60.0 - 100.0 * u,
                         1.0 + 2.0 * u};
    for (int a = 0; a < 7; ++a) truth[a].push_back(p[a]);
    for (std::size_t k = 0; k < n; ++k) {
      const double t = delays[k];
      data[k * pixels + i] = static_cast<float>(p[4] + p[1] * std::exp(-p[2] * t) * std::cos(2 * M_PI * p[0] * t + p[3]) +
                                                p[5] * std::exp(-t / p[6]));
    }
  }
  FitOptions options;
  options.model = ModelKind::damped_cosine_exp;
  const FitProblem problem = FitProblem::make(delays, options);
  FitMaps maps(side, side, options.model);
  auto fitter = TileFitter::create_cpu(problem, options);
  EXPECT_EQ(fitter->fit(TileView{data.data(), pixels, side, side, side, 0, 0}, nullptr, maps), pixels);
  std::size_t converged = 0;
  double worst = 0.0;
  for (std::size_t i = 0; i < pixels; ++i) {
    converged += maps.status[i] == static_cast<std::uint8_t>(FitStatus::converged);
    for (int a : {0, 1, 2, 4, 5, 6}) {
      worst = std::max(worst, std::abs(maps.value[a][i] - truth[a][i]) / std::abs(truth[a][i]));
    }
    worst = std::max(worst, std::abs(phase_difference(maps.value[3][i], truth[3][i])));
  }
  EXPECT_EQ(converged, pixels);
  EXPECT_LT(worst, 1e-4);
}

}  // namespace
}  // namespace xpulse::fit
