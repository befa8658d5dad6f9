// Weighted fits (fit_weights.h) on photon-counting traces drawn here: the standard errors and the reduced chi2
// must be honest (pulls of unit width, chi2 ~ 1), for both the lane-parallel CPU backend and the per-pixel
// reference backend that the CUDA kernels share.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "fit/damped_cosine.h"
#include "fit/fit_status.h"
#include "fit/tile_fitter.h"

namespace xpulse::fit {
namespace {

constexpr std::size_t kDelays = 200;
constexpr std::size_t kTraces = 2000;

struct Truth {
  double frequency, amplitude, damping, phase, offset;
};

// kTraces photon-counting traces [delay][trace] of damped cosines on 300-600 photons, with their truth.
struct PoissonStack {
  std::vector<double> delays;
  std::vector<float> counts;
  std::vector<Truth> truth;
};

PoissonStack make_stack(unsigned seed) {
  PoissonStack s;
  for (std::size_t k = 0; k < kDelays; ++k) s.delays.push_back(0.05 * static_cast<double>(k));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  s.counts.resize(kDelays * kTraces);
  for (std::size_t i = 0; i < kTraces; ++i) {
    const Truth t{0.5 + 1.5 * u(rng), 80.0 + 70.0 * u(rng), 0.1 + 0.2 * u(rng),
                  std::numbers::pi * (2.0 * u(rng) - 1.0), 300.0 + 300.0 * u(rng)};
    s.truth.push_back(t);
    for (std::size_t k = 0; k < kDelays; ++k) {
      const double x = s.delays[k];
      const double mean = t.offset + t.amplitude * std::exp(-t.damping * x) *
                                         std::cos(2.0 * std::numbers::pi * t.frequency * x + t.phase);
      s.counts[k * kTraces + i] = static_cast<float>(std::poisson_distribution<int>(mean)(rng));
    }
  }
  return s;
}

FitMaps fit_stack(const PoissonStack& s, const std::vector<float>& data, const FitOptions& options, bool reference,
                  const std::vector<float>* weights = nullptr) {
  const FitProblem problem = FitProblem::make(s.delays, options);
  FitMaps maps(1, kTraces, options.model);
  auto fitter = reference ? TileFitter::create_reference(problem, options) : TileFitter::create_cpu(problem, options);
  TileView view{data.data(), kTraces, kTraces, 1, kTraces, 0, 0};
  view.weights = weights != nullptr ? weights->data() : nullptr;
  fitter->fit(view, nullptr, maps);
  return maps;
}

double phase_difference(double a, double b) {
  const double d = a - b;
  return d - 2.0 * std::numbers::pi * std::round(d / (2.0 * std::numbers::pi));
}

double standard_deviation(const std::vector<double>& v) {
  double mean = 0.0, ss = 0.0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

class WeightedFit : public ::testing::TestWithParam<bool> {};  // reference backend?

TEST_P(WeightedFit, PoissonWeightsGiveUnitPullsAndUnitReducedChi2) {
  const PoissonStack s = make_stack(7);
  FitOptions options;
  options.weights = WeightKind::poisson;
  const FitMaps maps = fit_stack(s, s.counts, options, GetParam());
  std::vector<double> pulls[5], chi2;
  for (std::size_t i = 0; i < kTraces; ++i) {
    ASSERT_EQ(static_cast<FitStatus>(maps.status[i]), FitStatus::converged) << "trace " << i;
    const Truth& t = s.truth[i];
    const double truth[5] = {t.frequency, t.amplitude, t.damping, t.phase, t.offset};
    for (int a = 0; a < 5; ++a) {
      const double d = a == DampedCosine::kPhase ? phase_difference(maps.value[3][i], truth[a])
                                                 : maps.value[static_cast<std::size_t>(a)][i] - truth[a];
      pulls[a].push_back(d / maps.std_error[static_cast<std::size_t>(a)][i]);
    }
    chi2.push_back(maps.chi2_reduced[i]);
  }
  for (int a = 0; a < 5; ++a) {
    const double width = standard_deviation(pulls[a]);
    EXPECT_GE(width, 0.9) << DampedCosine::kNames[static_cast<std::size_t>(a)];
    EXPECT_LE(width, 1.1) << DampedCosine::kNames[static_cast<std::size_t>(a)];
  }
  EXPECT_GE(median(chi2), 0.95);
  EXPECT_LE(median(chi2), 1.05);
}

TEST_P(WeightedFit, GainInDataUnitsPerPhotonScalesOut) {
  const PoissonStack s = make_stack(8);
  constexpr double kGain = 20.0;
  std::vector<float> adu(s.counts);
  for (float& v : adu) v = static_cast<float>(v * kGain);
  FitOptions photons;
  photons.weights = WeightKind::poisson;
  FitOptions detector = photons;
  detector.adu_per_photon = kGain;
  const FitMaps a = fit_stack(s, s.counts, photons, GetParam());
  const FitMaps b = fit_stack(s, adu, detector, GetParam());
  for (std::size_t i = 0; i < kTraces; ++i) {
    ASSERT_EQ(a.status[i], b.status[i]);
    EXPECT_NEAR(b.chi2_reduced[i], a.chi2_reduced[i], 1e-4 * a.chi2_reduced[i]) << i;
    EXPECT_NEAR(b.value[0][i], a.value[0][i], 1e-4 * a.std_error[0][i]) << i;
    EXPECT_NEAR(b.std_error[1][i], kGain * a.std_error[1][i], 1e-4 * kGain * a.std_error[1][i]) << i;
  }
}

TEST_P(WeightedFit, DatasetWeightsOfPoissonVarianceMatchPoissonWeights) {
  const PoissonStack s = make_stack(9);
  std::vector<float> weights(s.counts.size());
  for (std::size_t j = 0; j < weights.size(); ++j) weights[j] = 1.0f / std::max(s.counts[j], 1.0f);
  FitOptions poisson;
  poisson.weights = WeightKind::poisson;
  FitOptions dataset;
  dataset.weights = WeightKind::dataset;
  const FitMaps a = fit_stack(s, s.counts, poisson, GetParam());
  const FitMaps b = fit_stack(s, s.counts, dataset, GetParam(), &weights);
  for (std::size_t i = 0; i < kTraces; ++i) {
    ASSERT_EQ(a.status[i], b.status[i]);
    EXPECT_NEAR(b.chi2_reduced[i], a.chi2_reduced[i], 1e-4 * a.chi2_reduced[i]) << i;
    for (std::size_t p = 0; p < 5; ++p) EXPECT_NEAR(b.value[p][i], a.value[p][i], 0.05 * a.std_error[p][i]) << i;  // LM tolerance
  }
}

TEST_P(WeightedFit, ZeroWeightsDropPoints) {
  // Wild outliers of weight 0 change nothing: the fit equals that of the trace without those delays.
  const PoissonStack s = make_stack(10);
  std::vector<float> spoiled(s.counts);
  std::vector<float> weights(s.counts.size());
  for (std::size_t j = 0; j < weights.size(); ++j) weights[j] = 1.0f / std::max(s.counts[j], 1.0f);
  std::vector<std::size_t> dropped = {5, 17, 60, 61, 62, 120, 150, 199};
  for (std::size_t k : dropped) {
    for (std::size_t i = 0; i < kTraces; ++i) {
      spoiled[k * kTraces + i] = 1e5f;
      weights[k * kTraces + i] = 0.0f;
    }
  }
  PoissonStack kept;
  kept.counts.clear();
  for (std::size_t k = 0; k < kDelays; ++k) {
    if (std::find(dropped.begin(), dropped.end(), k) != dropped.end()) continue;
    kept.delays.push_back(s.delays[k]);
    kept.counts.insert(kept.counts.end(), s.counts.begin() + static_cast<std::ptrdiff_t>(k * kTraces),
                       s.counts.begin() + static_cast<std::ptrdiff_t>((k + 1) * kTraces));
  }
  FitOptions dataset;
  dataset.weights = WeightKind::dataset;
  FitOptions poisson;
  poisson.weights = WeightKind::poisson;
  const FitMaps a = fit_stack(s, spoiled, dataset, GetParam(), &weights);
  const FitMaps b = fit_stack(kept, kept.counts, poisson, GetParam());
  std::size_t agree = 0;
  for (std::size_t i = 0; i < kTraces; ++i) {
    ASSERT_EQ(static_cast<FitStatus>(a.status[i]), FitStatus::converged) << i;
    agree += std::abs(a.value[0][i] - b.value[0][i]) <= 0.05 * a.std_error[0][i] &&
             std::abs(a.chi2_reduced[i] / b.chi2_reduced[i] - 1.0) <= 1e-3;
  }
  EXPECT_GE(agree, kTraces * 99 / 100);
}

TEST_P(WeightedFit, NegativeOrNonFiniteWeightsMarkThePixel) {
  const PoissonStack s = make_stack(11);
  std::vector<float> weights(s.counts.size(), 1.0f);
  weights[3 * kTraces + 0] = -1.0f;
  weights[9 * kTraces + 1] = std::nanf("");
  for (std::size_t k = 0; k < kDelays - 7; ++k) weights[k * kTraces + 2] = 0.0f;  // 7 points left, fewer than 8
  FitOptions dataset;
  dataset.weights = WeightKind::dataset;
  const FitMaps maps = fit_stack(s, s.counts, dataset, GetParam(), &weights);
  for (std::size_t i : {0u, 1u, 2u}) EXPECT_EQ(static_cast<FitStatus>(maps.status[i]), FitStatus::non_finite_input);
  EXPECT_EQ(static_cast<FitStatus>(maps.status[3]), FitStatus::converged);
}

INSTANTIATE_TEST_SUITE_P(Backends, WeightedFit, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Reference" : "Cpu"; });

TEST(WeightedFit, CpuAndReferenceBackendsAgree) {
  const PoissonStack s = make_stack(12);
  FitOptions options;
  options.weights = WeightKind::poisson;
  const FitMaps cpu = fit_stack(s, s.counts, options, false);
  const FitMaps reference = fit_stack(s, s.counts, options, true);
  std::size_t agree = 0;
  for (std::size_t i = 0; i < kTraces; ++i) {
    bool same = cpu.status[i] == reference.status[i];
    for (std::size_t p = 0; p < 5; ++p) same &= std::abs(cpu.value[p][i] - reference.value[p][i]) <= 1e-2 * cpu.std_error[p][i];
    agree += same;
  }
  EXPECT_GE(agree, kTraces * 999 / 1000);
}

}  // namespace
}  // namespace xpulse::fit
