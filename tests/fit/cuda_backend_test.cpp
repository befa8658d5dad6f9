// The CUDA backend against the CPU backend and against its CPU twin (the reference backend), on the same
// simulated data: the acceptance criteria of the CUDA fit. Skips with the reason when no CUDA device exists.
#include <cmath>
#include <iostream>

#include <gtest/gtest.h>

#include "backend_agreement.h"
#include "fit/band_fitter.h"
#include "fit/fit_band.h"
#include "fit/tile_fitter.h"
#include "runtime/devices.h"
#include "runtime/thread_pool.h"
#include "sim/pump_probe.h"

namespace xpulse::fit {
// gtest prints a model by its name.
static void PrintTo(ModelKind m, std::ostream* os) { *os << to_string(m); }

namespace {

struct Stack {
  sim::PumpProbeSimulation sim;
  std::vector<std::uint8_t> mask;
};

Stack simulate(bool nonuniform, std::size_t ny, std::size_t nx) {
  sim::PumpProbeOptions o;
  o.n_delay = 200;
  o.ny = ny;
  o.nx = nx;
  o.nonuniform = nonuniform;
  o.seed = 7;
  runtime::ThreadPool pool(2);
  Stack s{sim::simulate_pump_probe(o, pool), {}};
  s.mask.resize(s.sim.mask.size());
  for (std::size_t i = 0; i < s.mask.size(); ++i) s.mask[i] = s.sim.mask[i] != 0;
  // Flat and non-finite traces too: identical handling is part of the contract.
  const std::size_t pixels = ny * nx;
  for (std::size_t k = 0; k < o.n_delay; ++k) {
    s.sim.data[k * pixels + 5] = 100.0f;
    if (k == 17) s.sim.data[k * pixels + 6] = std::nanf("");
  }
  return s;
}

FitMaps fit_on(runtime::Device device, const Stack& s, const FitOptions& options, std::vector<int> gpus = {}) {
  const std::size_t ny = s.sim.detector.ny, nx = s.sim.detector.nx;
  const FitProblem problem = FitProblem::make(s.sim.delays_ps, options);
  auto fitter = BandFitter::create(problem, options, BandFitterOptions{device, 2, 16, 16, std::move(gpus)});
  EXPECT_EQ(fitter->device(), device);
  FitMaps maps(ny, nx, options.model);
  // Two bands, as the file pipeline would hand them over.
  const std::size_t half = ny / 2;
  const float* data = &s.sim.data[problem.first_delay * ny * nx];
  std::vector<float> band0(problem.t.size() * half * nx), band1(problem.t.size() * (ny - half) * nx);
  for (std::size_t k = 0; k < problem.t.size(); ++k) {
    std::copy_n(data + k * ny * nx, half * nx, &band0[k * half * nx]);
    std::copy_n(data + k * ny * nx + half * nx, (ny - half) * nx, &band1[k * (ny - half) * nx]);
  }
  fitter->fit(Band{band0.data(), half, nx, 0}, s.mask.data(), maps);
  fitter->fit(Band{band1.data(), ny - half, nx, half}, s.mask.data(), maps);
  return maps;
}

class CudaBackend : public ::testing::TestWithParam<ModelKind> {
 protected:
  void SetUp() override {
    if (runtime::cuda_device_count() == 0) {
      GTEST_SKIP() << "CUDA backend not tested: " << runtime::cuda_unavailable_reason();
    }
  }
};

TEST_P(CudaBackend, AgreesWithTheCpuBackend) {
  FitOptions options;
  options.model = GetParam();
  for (bool nonuniform : {false, true}) {
    const Stack s = simulate(nonuniform, 256, 256);
    const FitMaps cpu = fit_on(runtime::Device::cpu, s, options);
    const FitMaps gpu = fit_on(runtime::Device::cuda, s, options);
    const double span = s.sim.delays_ps.back();
    const BackendAgreement a = compare_backends(cpu, gpu, 1e-4, 1.0 / span);
    std::cout << (nonuniform ? "nonuniform: " : "uniform: ") << a << "\n";
    EXPECT_GE(a.status_fraction(), 0.999) << a;
    EXPECT_EQ(a.masked_mismatch, 0u) << a;
    EXPECT_EQ(a.flat_mismatch, 0u) << a;
    EXPECT_EQ(gpu.status[5], static_cast<std::uint8_t>(FitStatus::no_signal));
    EXPECT_EQ(gpu.status[6], static_cast<std::uint8_t>(FitStatus::non_finite_input));
    if (options.model == ModelKind::damped_cosine) {
      EXPECT_GE(static_cast<double>(a.within_tolerance), 0.999 * static_cast<double>(a.both_converged)) << a;
      EXPECT_LE(a.worst_in_sigma, 0.01) << a;
    } else {  // see reference_backend_test.cpp: the background model's shallow valley
      EXPECT_LE(a.worst_in_sigma, 0.25) << a;
    }
  }
}

TEST_P(CudaBackend, AgreesWithItsCpuTwin) {
  FitOptions options;
  options.model = GetParam();
  const Stack s = simulate(false, 128, 128);
  const std::size_t ny = 128, nx = 128;
  const FitProblem problem = FitProblem::make(s.sim.delays_ps, options);
  runtime::ThreadPool pool(2);
  std::vector<std::unique_ptr<TileFitter>> twins;
  for (unsigned w = 0; w < pool.size(); ++w) twins.push_back(TileFitter::create_reference(problem, options));
  FitMaps twin(ny, nx, options.model);
  fit_band(Band{&s.sim.data[problem.first_delay * ny * nx], ny, nx, 0}, 16, 16, s.mask.data(), twins, pool, twin);
  const FitMaps gpu = fit_on(runtime::Device::cuda, s, options);
  const BackendAgreement a = compare_backends(twin, gpu, 1e-4, 1.0 / s.sim.delays_ps.back());
  std::cout << "twin: " << a << "\n";
  EXPECT_GE(a.status_fraction(), 0.999) << a;
}

TEST_P(CudaBackend, SeveralGpusGiveTheSameMapsAsOne) {
  const int devices = runtime::cuda_device_count();
  if (devices < 2) GTEST_SKIP() << "one CUDA device: --gpus 0,1 not tested";
  FitOptions options;
  options.model = GetParam();
  const Stack s = simulate(false, 128, 128);
  const FitMaps one = fit_on(runtime::Device::cuda, s, options, {0});
  const FitMaps two = fit_on(runtime::Device::cuda, s, options, {0, 1});
  EXPECT_EQ(one.status, two.status);
  EXPECT_EQ(one.iterations, two.iterations);
}

INSTANTIATE_TEST_SUITE_P(Models, CudaBackend, ::testing::Values(ModelKind::damped_cosine, ModelKind::damped_cosine_exp),
                         [](const auto& info) { return std::string(to_string(info.param)) == "damped-cosine"
                                                           ? std::string("damped_cosine")
                                                           : std::string("damped_cosine_exp"); });

}  // namespace
}  // namespace xpulse::fit
