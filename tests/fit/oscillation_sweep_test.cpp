#include "fit/oscillation_sweep.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "fit/damped_cosine.h"
#include "fit/damped_cosine_exp.h"
#include "fit/step_table.h"

namespace xpulse::fit {
namespace {

std::vector<double> piecewise_grid() {  // fine steps near time zero, coarser later, as pump-probe scans are taken
  std::vector<double> t;
  for (int k = 0; k < 400; ++k) t.push_back(0.1 + 0.025 * k);
  for (int k = 1; k <= 1500; ++k) t.push_back(t[399] + 0.2 * k);
  return t;
}

TEST(StepTable, FindsUniformAndPiecewiseUniformGrids) {
  std::vector<double> uniform;
  for (int k = 0; k < 200; ++k) uniform.push_back(0.05 * k);  // as a delay axis stored by start + k * step
  const StepTable one = StepTable::make(uniform);
  ASSERT_TRUE(one.usable());
  EXPECT_EQ(one.count, 1);
  const std::vector<double> t = piecewise_grid();
  const StepTable two = StepTable::make(t);
  ASSERT_TRUE(two.usable());
  EXPECT_EQ(two.count, 2);
  EXPECT_EQ(two.index[400], 1);
  EXPECT_EQ(two.index[399], 0);
}

TEST(StepTable, IrregularGridsAreNotUsable) {
  std::vector<double> t;
  for (int k = 0; k < 50; ++k) t.push_back(0.05 * k + 0.001 * k * k);
  EXPECT_FALSE(StepTable::make(t).usable());
  EXPECT_FALSE(StepTable::make(std::vector<double>{1.0}).usable());
}

// After 1900 steps the recurrence still agrees with direct evaluation in double to ~1e-12.
TEST(OscillationSweep, FollowsDirectEvaluationOverLongPiecewiseGrids) {
  const std::vector<double> t = piecewise_grid();
  const StepTable steps = StepTable::make(t);
  alignas(64) float f[kLanes], g[kLanes], phi[kLanes], tau[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    f[l] = 0.05f + 0.13f * l;  // up to 2 THz: 0.4 turns per coarse step
    g[l] = 0.002f * l;
    phi[l] = -3.0f + 0.4f * l;
    tau[l] = 1.0f + 20.0f * l;
  }
  OscillationSweep sweep;
  DecaySweep decay;
  sweep.start(steps, t[0], f, g, phi);
  decay.start(steps, t[0], tau);
  double worst = 0.0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (k > 0) {
      sweep.advance(steps.index[k]);
      decay.advance(steps.index[k]);
    }
    for (int l = 0; l < kLanes; ++l) {
      const double e = std::exp(-static_cast<double>(g[l]) * t[k]);
      const double angle = kTwoPi * static_cast<double>(f[l]) * t[k] + static_cast<double>(phi[l]);
      worst = std::max({worst, std::abs(sweep.re[l] - e * std::cos(angle)), std::abs(sweep.im[l] - e * std::sin(angle)),
                        std::abs(decay.value[l] - std::exp(-t[k] / static_cast<double>(tau[l])))});
    }
  }
  EXPECT_LT(worst, 1e-11);
}

// The models' swept evaluation agrees with their direct one to float precision: each value and gradient
// component within 1e-6 of its largest magnitude over the trace.
template <class Model>
void expect_swept_matches_direct(const Model& model, const float (&p)[Model::kParams][kLanes]) {
  constexpr int P = Model::kParams;
  const std::vector<double> t = piecewise_grid();
  const StepTable steps = StepTable::make(t);
  typename Model::Sweep sweep;
  model.start_sweep(sweep, steps, t[0], p);
  double difference[P + 1][kLanes] = {};
  double magnitude[P + 1][kLanes] = {};
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (k > 0) Model::advance_sweep(sweep, steps.index[k]);
    alignas(64) float v1[kLanes], v2[kLanes], g1[P][kLanes], g2[P][kLanes];
    model.evaluate_swept(t[k], sweep, p, v1, g1);
    model.evaluate(t[k], p, v2, g2);
    for (int l = 0; l < kLanes; ++l) {
      difference[P][l] = std::max<double>(difference[P][l], std::abs(v1[l] - v2[l]));
      magnitude[P][l] = std::max<double>(magnitude[P][l], std::abs(v2[l]));
      for (int a = 0; a < P; ++a) {
        difference[a][l] = std::max<double>(difference[a][l], std::abs(g1[a][l] - g2[a][l]));
        magnitude[a][l] = std::max<double>(magnitude[a][l], std::abs(g2[a][l]));
      }
    }
  }
  for (int a = 0; a <= P; ++a) {
    for (int l = 0; l < kLanes; ++l) EXPECT_LT(difference[a][l], 1e-6 * magnitude[a][l]) << a << " " << l;
  }
}

TEST(OscillationSweep, DampedCosineSweptMatchesDirect) {
  DampedCosine model;
  alignas(64) float p[DampedCosine::kParams][kLanes];
  for (int l = 0; l < kLanes; ++l) {
    p[DampedCosine::kFrequency][l] = 0.05f + 0.13f * l;
    p[DampedCosine::kAmplitude][l] = 1.0f + l;
    p[DampedCosine::kDamping][l] = 0.002f * l;
    p[DampedCosine::kPhase][l] = -3.0f + 0.4f * l;
    p[DampedCosine::kOffset][l] = 0.5f;
  }
  expect_swept_matches_direct(model, p);
}

TEST(OscillationSweep, DampedCosineExpSweptMatchesDirect) {
  DampedCosineExp model;
  alignas(64) float p[DampedCosineExp::kParams][kLanes];
  for (int l = 0; l < kLanes; ++l) {
    p[DampedCosineExp::kFrequency][l] = 0.05f + 0.13f * l;
    p[DampedCosineExp::kAmplitude][l] = 1.0f + l;
    p[DampedCosineExp::kDamping][l] = 0.002f * l;
    p[DampedCosineExp::kPhase][l] = -3.0f + 0.4f * l;
    p[DampedCosineExp::kOffset][l] = 0.5f;
    p[DampedCosineExp::kBackground][l] = -2.0f + 0.3f * l;
    p[DampedCosineExp::kTau][l] = 1.0f + 20.0f * l;
  }
  expect_swept_matches_direct(model, p);
}

}  // namespace
}  // namespace xpulse::fit
