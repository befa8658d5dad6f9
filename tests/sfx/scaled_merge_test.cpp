// Scaling and merging of synthetic partial observations with known truth: per-crystal scales and B factors,
// partialities, counting noise and a proportional error the counting sigmas do not include.
#include "sfx/scaled_merge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>

#include "core/error.h"

namespace xpulse::sfx {
namespace {

struct Synthetic {
  std::vector<Observation> observations;
  std::vector<double> truth;          // per reflection
  std::vector<double> g, b;           // per crystal
  std::size_t crystals = 0;
};

// `reflections` unique reflections with exponential (Wilson) intensities; each crystal sees a random 30% of them
// with partialities uniform in [0.2, 1]; noise: Poisson-like counting plus `proportional` x I.
Synthetic synthetic(std::size_t reflections, std::size_t crystals, double proportional, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::exponential_distribution<double> wilson(1.0 / 200);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::normal_distribution<double> normal(0, 1);
  Synthetic s;
  s.crystals = crystals;
  std::vector<double> d(reflections);
  for (std::size_t h = 0; h < reflections; ++h) {
    s.truth.push_back(wilson(random));
    d[h] = 1 / std::cbrt(1.0 / 27 + (1.0 / 8 - 1.0 / 27) * uniform(random));  // 3..2 A, even in volume
  }
  for (std::size_t c = 0; c < crystals; ++c) {
    s.g.push_back(0.5 + 1.5 * uniform(random)), s.b.push_back(-5 + 10 * uniform(random));
    for (std::size_t h = 0; h < reflections; ++h) {
      if (uniform(random) > 0.3) continue;
      const double p = 0.2 + 0.8 * uniform(random);
      const double expected = s.g[c] * std::exp(-s.b[c] / (2 * d[h] * d[h])) * p * s.truth[h];
      const double counting = std::sqrt(expected + 25);
      const double sigma_total = std::sqrt(counting * counting + std::pow(proportional * expected, 2));
      Observation o;
      o.crystal = static_cast<std::uint32_t>(c);
      o.index = {{static_cast<int>(h), 0, 1}, false};
      o.intensity = expected + sigma_total * normal(random);
      o.sigma = counting;  // the proportional error is not in the sigma: the error model must find it
      o.partiality = p, o.d = d[h], o.half = static_cast<std::uint8_t>(c % 2);
      s.observations.push_back(o);
    }
  }
  return s;
}

double correlation_with_truth(const MergeResult& r, const Synthetic& s, double* z_std = nullptr) {
  std::vector<double> a, b;
  for (const MergedReflection& m : r.reflections) a.push_back(m.intensity), b.push_back(s.truth[m.index.hkl[0]]);
  if (z_std) {
    // After a least-squares scale of the merge to the truth.
    double num = 0, den = 0;
    for (std::size_t i = 0; i < a.size(); ++i) num += a[i] * b[i], den += b[i] * b[i];
    const double k = num / den;
    double sum = 0, sum2 = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const double z = (a[i] - k * b[i]) / r.reflections[i].sigma;
      sum += z, sum2 += z * z;
    }
    const double n = static_cast<double>(a.size());
    *z_std = std::sqrt(sum2 / n - (sum / n) * (sum / n));
  }
  return pearson(a, b);
}

TEST(ScaledMerge, ScalesAndPartialitiesRecoverTheTruth) {
  const Synthetic s = synthetic(400, 60, 0.1, 3);
  MergeOptions plain;
  plain.scale = ScaleModel::none, plain.model = PartialityModel::unity, plain.error_model = false, plain.cycles = 0;
  MergeOptions full;
  full.scale = ScaleModel::linear_b;
  const MergeResult naive = scale_and_merge(s.observations, s.crystals, plain);
  double z_std = 0;
  const MergeResult merged = scale_and_merge(s.observations, s.crystals, full);
  const double cc_naive = correlation_with_truth(naive, s), cc = correlation_with_truth(merged, s, &z_std);
  EXPECT_GT(cc, 0.99);
  EXPECT_GT(cc, cc_naive + 0.02) << cc_naive;
  // Honest sigmas: the error model took in the proportional error.
  EXPECT_GT(z_std, 0.8);
  EXPECT_LT(z_std, 1.25);
  EXPECT_GT(merged.error_model.sd_add, 0.03);
  // G and B trade off against each other over 3..2 A: compare each crystal's scale at 2.4 A, both relative to
  // their median, and B relative to the mean B.
  const double x = 1 / (2 * 2.4 * 2.4);
  std::vector<double> truth(s.crystals), fitted(s.crystals);
  for (std::size_t c = 0; c < s.crystals; ++c) {
    truth[c] = s.g[c] * std::exp(-s.b[c] * x), fitted[c] = merged.crystals[c].g * std::exp(-merged.crystals[c].b * x);
  }
  const auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  const double truth_median = median(truth), fitted_median = median(fitted);
  double b_mean_truth = 0, b_mean = 0;
  for (std::size_t c = 0; c < s.crystals; ++c) b_mean_truth += s.b[c], b_mean += merged.crystals[c].b;
  b_mean_truth /= static_cast<double>(s.crystals), b_mean /= static_cast<double>(s.crystals);
  for (std::size_t c = 0; c < s.crystals; ++c) {
    EXPECT_NEAR(fitted[c] / fitted_median, truth[c] / truth_median, 0.07 * truth[c] / truth_median) << c;
    EXPECT_NEAR(merged.crystals[c].b - b_mean, s.b[c] - b_mean_truth, 3.0) << c;
    EXPECT_FALSE(merged.crystals[c].rejected);
  }
}

TEST(ScaledMerge, WithoutAProportionalErrorTheCountingSigmasAreKept) {
  const Synthetic s = synthetic(300, 40, 0.0, 5);
  MergeOptions o;
  o.scale = ScaleModel::linear_b;
  const MergeResult merged = scale_and_merge(s.observations, s.crystals, o);
  EXPECT_NEAR(merged.error_model.sd_fac, 1.0, 0.1);
  EXPECT_LT(merged.error_model.sd_add, 0.03);
}

// The sums run in an order the data fix (sfx/scaled_merge.h), which is what lets MPI ranks reproduce one
// process: the observations in another order, and another thread count, give the same bits.
TEST(ScaledMerge, TheInputOrderAndThreadsDoNotChangeABit) {
  Synthetic s = synthetic(300, 40, 0.1, 11);
  MergeOptions o;
  o.model = PartialityModel::unity, o.scale = ScaleModel::linear_b, o.threads = 1;
  const MergeResult first = scale_and_merge(s.observations, s.crystals, o);
  std::mt19937_64 random(5);
  std::shuffle(s.observations.begin(), s.observations.end(), random);
  o.threads = 3;
  const MergeResult second = scale_and_merge(s.observations, s.crystals, o);
  ASSERT_EQ(first.reflections.size(), second.reflections.size());
  for (std::size_t i = 0; i < first.reflections.size(); ++i) {
    const MergedReflection &a = first.reflections[i], &b = second.reflections[i];
    EXPECT_EQ(a.index, b.index);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.intensity), std::bit_cast<std::uint64_t>(b.intensity)) << i;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.sigma), std::bit_cast<std::uint64_t>(b.sigma)) << i;
  }
  for (std::size_t c = 0; c < s.crystals; ++c) {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(first.crystals[c].g), std::bit_cast<std::uint64_t>(second.crystals[c].g));
    EXPECT_EQ(std::bit_cast<std::uint64_t>(first.crystals[c].b), std::bit_cast<std::uint64_t>(second.crystals[c].b));
  }
  EXPECT_EQ(first.error_model.sd_fac, second.error_model.sd_fac);
  EXPECT_GT(first.error_model.sd_fac, 1.0);  // the proportional error was found, so the model took part
}

TEST(ScaledMerge, DumbInputs) {
  EXPECT_THROW(scale_and_merge({}, 0, {}), InvalidArgument);
  Observation o;
  o.crystal = 3;
  EXPECT_THROW(scale_and_merge({o}, 2, {}), InvalidArgument);
  MergeOptions bad;
  bad.min_partiality = 1.5;
  EXPECT_THROW(bad.validate(), InvalidArgument);
  EXPECT_THROW(parse_scale_model("quadratic"), InvalidArgument);
}

}  // namespace
}  // namespace xpulse::sfx
