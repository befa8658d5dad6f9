// Amplitude spectra: known answers on uniform and non-uniform delays.
#include <cmath>
#include <numbers>
#include <random>

#include <gtest/gtest.h>

#include "core/error.h"
#include "phonon/amplitude_spectrum.h"

namespace xpulse::phonon {
namespace {

constexpr double pi = std::numbers::pi;

std::size_t argmax_from(const std::vector<float>& a, std::size_t stride, std::size_t pixel, std::size_t k0) {
  std::size_t best = k0;
  for (std::size_t k = k0; k * stride < a.size(); ++k) {
    if (a[k * stride + pixel] > a[best * stride + pixel]) best = k;
  }
  return best;
}

TEST(AmplitudeSpectrum, CosineAtAGridFrequencyHasItsAmplitude) {
  // 100 delays of 0.1 ps from t0 = 0: resolution 0.1 THz; 1.3 THz is on the grid.
  std::vector<double> t;
  for (int i = -10; i < 100; ++i) t.push_back(0.1 * i);
  SpectrumOptions o;
  o.window = Window::none;
  o.oversample = 1;
  const SpectrumPlan plan = SpectrumPlan::make(t, o);
  EXPECT_EQ(plan.first_delay(), 10u);
  EXPECT_EQ(plan.delays(), 100u);
  EXPECT_TRUE(plan.uniform());
  EXPECT_NEAR(plan.resolution_thz(), 0.1, 1e-12);
  EXPECT_NEAR(plan.frequency_thz().back(), 5.0, 1e-9);  // Nyquist
  // Two pixels: 7 + 3 cos(2 pi 1.3 t + 0.4) and a NaN trace.
  const std::size_t n = plan.delays(), pixels = 2;
  std::vector<float> traces(n * pixels);
  for (std::size_t i = 0; i < n; ++i) {
    traces[i * pixels] = static_cast<float>(7.0 + 3.0 * std::cos(2 * pi * 1.3 * t[10 + i] + 0.4));
    traces[i * pixels + 1] = i == 5 ? NAN : 1.0f;
  }
  std::vector<float> a(plan.frequencies() * pixels), work;
  plan.compute(traces.data(), pixels, pixels, a.data(), work);
  const std::size_t k = argmax_from(a, pixels, 0, 1);
  EXPECT_NEAR(plan.frequency_thz()[k], 1.3, 1e-9);
  EXPECT_NEAR(a[k * pixels], 3.0, 1e-4);
  EXPECT_NEAR(a[0], 0.0, 1e-4);  // the mean is removed
  EXPECT_TRUE(std::isnan(a[k * pixels + 1]));
}

TEST(AmplitudeSpectrum, NonUniformDelaysFindTheFrequencyWithinOneStep) {
  // Delays denser near t0, as in real pump-probe scans.
  std::vector<double> t;
  for (int i = 0; i < 160; ++i) t.push_back(10.0 * std::expm1(i / 159.0) / std::expm1(1.0));
  SpectrumOptions o;  // Hann window, oversample 4
  o.max_frequency_thz = 4.0;
  const SpectrumPlan plan = SpectrumPlan::make(t, o);
  EXPECT_FALSE(plan.uniform());
  const double step = plan.frequency_thz()[1];
  EXPECT_NEAR(step, plan.resolution_thz() / 4, 1e-12);
  std::vector<float> trace(t.size());
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.2);
  for (double f : {0.73, 1.91, 3.2}) {
    for (std::size_t i = 0; i < t.size(); ++i) {
      trace[i] = static_cast<float>(100.0 + 2.0 * std::exp(-0.1 * t[i]) * std::cos(2 * pi * f * t[i] - 1.0) + noise(rng));
    }
    std::vector<float> a(plan.frequencies()), work;
    plan.compute(trace.data(), 1, 1, a.data(), work);
    const std::size_t k = argmax_from(a, 1, 0, 4);
    EXPECT_LE(std::abs(plan.frequency_thz()[k] - f), step) << "f = " << f;
  }
}

TEST(AmplitudeSpectrum, BadInputsAreClearErrors) {
  const std::vector<double> few = {-1, 0, 1, 2};
  SpectrumOptions o;
  o.t0_ps = 0.5;
  try {
    SpectrumPlan::make(few, o);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "only 2 delays lie at or after t0 = 0.5 ps; a spectrum needs at least 4");
  }
  EXPECT_THROW(SpectrumPlan::make(std::vector<double>{0, 1, 1, 2, 3}, SpectrumOptions{}), InputError);
  EXPECT_THROW(SpectrumPlan::make(std::vector<double>{0, 1, NAN, 2, 3}, SpectrumOptions{}), InputError);
  SpectrumOptions bad;
  bad.oversample = 0;
  EXPECT_THROW(bad.validate(), InvalidArgument);
  EXPECT_THROW(parse_window("kaiser"), InvalidArgument);
}

// The matrix product may round differently for different block widths (BLAS kernels), so blocks agree to float
// precision, not bit for bit; the pipeline keeps its blocks independent of the thread count.
TEST(AmplitudeSpectrum, BlocksAgreeWithOneCall) {
  std::vector<double> t;
  for (int i = 0; i < 64; ++i) t.push_back(0.05 * i);
  const SpectrumPlan plan = SpectrumPlan::make(t, SpectrumOptions{});
  const std::size_t pixels = 37, n = plan.delays(), kc = plan.frequencies();
  std::vector<float> traces(n * pixels);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0, 10);
  for (auto& v : traces) v = u(rng);
  std::vector<float> all(kc * pixels), work;
  plan.compute(traces.data(), pixels, pixels, all.data(), work);
  std::vector<float> part(kc * 5);
  plan.compute(traces.data() + 30, pixels, 5, part.data(), work);
  for (std::size_t k = 0; k < kc; ++k)
    for (std::size_t p = 0; p < 5; ++p) EXPECT_NEAR(part[k * 5 + p], all[k * pixels + 30 + p], 1e-5);
}

}  // namespace
}  // namespace xpulse::phonon
