#include "phonon/amplitude_spectrum.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <cblas.h>
#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::phonon {

Window parse_window(const std::string& name) {
  if (name == "hann") return Window::hann;
  if (name == "none") return Window::none;
  throw InvalidArgument(fmt::format("--window '{}' is not known; use hann or none", name));
}

void SpectrumOptions::validate() const {
  if (!std::isfinite(t0_ps)) throw InvalidArgument("--t0 must be finite (ps)");
  if (!(max_frequency_thz >= 0.0) || !std::isfinite(max_frequency_thz)) {
    throw InvalidArgument(fmt::format("--max-frequency must be positive (THz), got {}", max_frequency_thz));
  }
  if (oversample < 1 || oversample > 64) {
    throw InvalidArgument(fmt::format("--oversample must be between 1 and 64, got {}", oversample));
  }
}

SpectrumPlan SpectrumPlan::make(std::span<const double> delays, const SpectrumOptions& o) {
  o.validate();
  // compute() runs on the caller's worker threads, one block each: BLAS must not spawn threads of its own.
  openblas_set_num_threads(1);
  for (std::size_t i = 0; i < delays.size(); ++i) {
    if (!std::isfinite(delays[i])) throw InputError(fmt::format("delay {} is not finite", i));
    if (i > 0 && !(delays[i] > delays[i - 1])) {
      throw InputError(fmt::format("delays must increase strictly; delay {} ({} ps) follows {} ps", i, delays[i],
                                   delays[i - 1]));
    }
  }
  SpectrumPlan p;
  p.first_ = static_cast<std::size_t>(std::lower_bound(delays.begin(), delays.end(), o.t0_ps) - delays.begin());
  p.n_ = delays.size() - p.first_;
  if (p.n_ < 4) {
    throw InputError(fmt::format("only {} delays lie at or after t0 = {} ps; a spectrum needs at least 4", p.n_,
                                 o.t0_ps));
  }
  const std::span<const double> t = delays.subspan(p.first_);
  const double span = t.back() - t.front();
  std::vector<double> steps(p.n_ - 1);
  for (std::size_t i = 0; i + 1 < p.n_; ++i) steps[i] = t[i + 1] - t[i];
  const auto [lo, hi] = std::minmax_element(steps.begin(), steps.end());
  p.uniform_ = (*hi - *lo) <= 1e-6 * (*hi);
  std::nth_element(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(steps.size() / 2), steps.end());
  const double nyquist = 0.5 / steps[steps.size() / 2];
  const double f_max = o.max_frequency_thz > 0.0 ? o.max_frequency_thz : nyquist;
  // Resolution of a record of n samples spaced dt is 1 / (n dt) for a DFT; span + one step covers both cases.
  p.resolution_ = 1.0 / (span + span / static_cast<double>(p.n_ - 1));
  const double step = p.resolution_ / o.oversample;
  const auto k_count = static_cast<std::size_t>(std::floor(f_max / step + 1e-9)) + 1;
  for (std::size_t k = 0; k < k_count; ++k) p.frequency_.push_back(static_cast<double>(k) * step);

  // Quadrature weights: equal on a uniform grid, trapezoid (half the neighbouring gaps) otherwise.
  std::vector<double> q(p.n_, 1.0);
  if (!p.uniform_) {
    for (std::size_t i = 0; i < p.n_; ++i) {
      q[i] = 0.5 * ((i + 1 < p.n_ ? t[i + 1] - t[i] : 0.0) + (i > 0 ? t[i] - t[i - 1] : 0.0));
    }
  }
  double q_sum = 0.0;
  for (double v : q) q_sum += v;
  p.mean_weights_.resize(p.n_);
  std::vector<double> w(p.n_);
  double w_sum = 0.0;
  for (std::size_t i = 0; i < p.n_; ++i) {
    p.mean_weights_[i] = static_cast<float>(q[i] / q_sum);
    const double u = (t[i] - t.front()) / span;
    w[i] = q[i] * (o.window == Window::hann ? 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * u) : 1.0);
    w_sum += w[i];
  }
  const std::size_t kc = p.frequency_.size();
  p.basis_.resize(2 * kc * p.n_);
  for (std::size_t k = 0; k < kc; ++k) {
    for (std::size_t i = 0; i < p.n_; ++i) {
      const double phase = 2.0 * std::numbers::pi * p.frequency_[k] * (t[i] - t.front());
      const double scale = 2.0 * w[i] / w_sum;
      p.basis_[k * p.n_ + i] = static_cast<float>(scale * std::cos(phase));
      p.basis_[(kc + k) * p.n_ + i] = static_cast<float>(scale * std::sin(phase));
    }
  }
  return p;
}

void SpectrumPlan::compute(const float* traces, std::size_t stride, std::size_t pixels, float* amplitude,
                           std::vector<float>& work) const {
  const std::size_t kc = frequency_.size();
  work.resize(n_ * pixels + 2 * kc * pixels);
  float* centred = work.data();
  float* product = work.data() + n_ * pixels;
  // Mean removal in double, across pixels so the loops vectorise.
  std::vector<double> mean(pixels, 0.0);
  for (std::size_t n = 0; n < n_; ++n) {
    const float* row = traces + n * stride;
    const double wn = mean_weights_[n];
    for (std::size_t p = 0; p < pixels; ++p) mean[p] += wn * row[p];
  }
  for (std::size_t n = 0; n < n_; ++n) {
    const float* row = traces + n * stride;
    float* out = centred + n * pixels;
    for (std::size_t p = 0; p < pixels; ++p) out[p] = static_cast<float>(row[p] - mean[p]);
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(2 * kc), static_cast<int>(pixels),
              static_cast<int>(n_), 1.0f, basis_.data(), static_cast<int>(n_), centred, static_cast<int>(pixels),
              0.0f, product, static_cast<int>(pixels));
  for (std::size_t k = 0; k < kc; ++k) {
    const float* re = product + k * pixels;
    const float* im = product + (kc + k) * pixels;
    float* out = amplitude + k * pixels;
    for (std::size_t p = 0; p < pixels; ++p) out[p] = std::sqrt(re[p] * re[p] + im[p] * im[p]);
  }
}

}  // namespace xpulse::phonon
