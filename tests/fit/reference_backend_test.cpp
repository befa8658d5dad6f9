// The reference backend (the CUDA kernel's per-pixel code run on the host) against the CPU backend: the
// chain of evidence behind the CUDA consistency tests, checkable on any machine.
#include <cmath>
#include <iostream>

#include <gtest/gtest.h>

#include "backend_agreement.h"
#include "fit/fit_band.h"
#include "fit/tile_fitter.h"
#include "runtime/thread_pool.h"
#include "sim/pump_probe.h"

namespace xpulse::fit {
namespace {

struct Case {
  const char* name;
  bool nonuniform;
  ModelKind model;
  sim::Noise noise;
  double background = 0.0;  // adds background * amplitude * exp(-t / 3 ps) after t0 (the exp model's term)
  // Fraction of pixels converged in both whose parameters must agree within 1e-4 relative, and the largest
  // difference allowed in units of the standard error. The background model's offset and background trade
  // off along a shallow valley where the LM stopping rule leaves each fit anywhere within ~0.1 sigma, so
  // rounding differences move it that far; the damped cosine is determined tightly.
  double within = 0.999;
  double max_sigma = 0.01;
};
// gtest prints the case by its name.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

FitMaps fit_with(const sim::PumpProbeSimulation& s, const FitProblem& problem, const FitOptions& options,
                 bool reference, runtime::ThreadPool& pool) {
  const std::size_t ny = s.detector.ny, nx = s.detector.nx;
  std::vector<std::uint8_t> mask(s.mask.size());
  for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = s.mask[i] != 0;
  std::vector<std::unique_ptr<TileFitter>> fitters;
  for (unsigned w = 0; w < pool.size(); ++w) {
    fitters.push_back(reference ? TileFitter::create_reference(problem, options)
                                : TileFitter::create_cpu(problem, options));
  }
  FitMaps maps(ny, nx, options.model);
  fit_band(Band{&s.data[problem.first_delay * ny * nx], ny, nx, 0}, 16, 16, mask.data(), fitters, pool, maps);
  return maps;
}

class ReferenceBackend : public ::testing::TestWithParam<Case> {};

TEST_P(ReferenceBackend, AgreesWithTheCpuBackend) {
  const Case c = GetParam();
  sim::PumpProbeOptions o;
  o.n_delay = 200;
  o.ny = 96;
  o.nx = 96;
  o.nonuniform = c.nonuniform;
  o.noise = c.noise;
  o.seed = 5;
  runtime::ThreadPool pool(2);
  sim::PumpProbeSimulation s = sim::simulate_pump_probe(o, pool);
  const std::size_t pixels = o.ny * o.nx;
  for (std::size_t k = 0; k < o.n_delay; ++k) {
    if (c.background == 0.0 || s.delays_ps[k] < 0.0) continue;
    for (std::size_t i = 0; i < pixels; ++i) {
      s.data[k * pixels + i] += static_cast<float>(c.background * s.truth.amplitude[i] * std::exp(-s.delays_ps[k] / 3.0));
    }
  }
  FitOptions options;
  options.model = c.model;
  const FitProblem problem = FitProblem::make(s.delays_ps, options);
  const FitMaps cpu = fit_with(s, problem, options, false, pool);
  const FitMaps ref = fit_with(s, problem, options, true, pool);
  const BackendAgreement a = compare_backends(cpu, ref, 1e-4, 1.0 / (problem.t.back() - problem.t.front()));
  EXPECT_GE(a.status_fraction(), 0.999) << a;
  EXPECT_GE(static_cast<double>(a.within_tolerance), c.within * static_cast<double>(a.both_converged)) << a;
  EXPECT_LE(a.worst_in_sigma, c.max_sigma) << a;
  EXPECT_EQ(a.masked_mismatch, 0u) << a;
  EXPECT_EQ(a.flat_mismatch, 0u) << a;
  EXPECT_GT(a.both_converged, pixels / 2) << a;
  std::cout << c.name << ": " << a << "\n";  // what was measured, for the record
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReferenceBackend,
    ::testing::Values(Case{"uniform_poisson", false, ModelKind::damped_cosine, sim::Noise::poisson},
                      Case{"nonuniform_poisson", true, ModelKind::damped_cosine, sim::Noise::poisson},
                      Case{"noise_free", false, ModelKind::damped_cosine, sim::Noise::none},
                      Case{"background_model", false, ModelKind::damped_cosine_exp, sim::Noise::poisson, 0.5, 0.9, 0.25}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace xpulse::fit
