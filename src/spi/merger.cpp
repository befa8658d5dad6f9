#include "spi/merger.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::spi {
namespace {

std::vector<std::size_t> cube(std::size_t n) { return {n, n, n}; }

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

Merger::Merger(std::size_t m, double eps, unsigned threads)
    : m_(m),
      data_plan_(1, cube(m), eps, {-1, threads, nufft::ModeOrder::centered}),
      kernel_plan_(1, cube(2 * m), eps, {-1, threads, nufft::ModeOrder::fft}) {
  if (m % 2 == 0 || m < 3) throw InvalidArgument(fmt::format("the SPI grid size must be odd and >= 3, got {}", m));
  back_projection_.assign(m * m * m, 0.0);
  kernel_.assign(8 * m * m * m, 0.0);
  work_.resize(8 * m * m * m);
  const std::size_t dims[3] = {2 * m, 2 * m, 2 * m};
  forward_ = std::make_unique<nufft::FineGridFft<double>>(dims, -1, threads, work_.data());
  backward_ = std::make_unique<nufft::FineGridFft<double>>(dims, +1, threads, work_.data());
}

Merger::~Merger() = default;

void Merger::add(std::size_t n, const double* x, const double* y, const double* z, const double* values) {
  if (n == 0) return;
  std::vector<std::complex<double>> c(values, values + n), out(m_ * m_ * m_);
  data_plan_.set_points(n, x, y, z);
  data_plan_.execute(c.data(), out.data());
  for (std::size_t k = 0; k < out.size(); ++k) back_projection_[k] += out[k];
  std::vector<std::complex<double>> ones(n, 1.0), kernel(kernel_.size());
  kernel_plan_.set_points(n, x, y, z);
  kernel_plan_.execute(ones.data(), kernel.data());
  for (std::size_t k = 0; k < kernel.size(); ++k) kernel_[k] += kernel[k];
  for (std::size_t j = 0; j < n; ++j) data_norm2_ += values[j] * values[j];
  points_ += n;
  spectrum_ready_ = false;
}

void Merger::sum_to_root(runtime::World& world) {
  if (!world.distributed()) return;
  auto as_doubles = [](std::vector<std::complex<double>>& v) {
    return std::span<double>(reinterpret_cast<double*>(v.data()), 2 * v.size());
  };
  world.sum_to_root(as_doubles(back_projection_));
  world.sum_to_root(as_doubles(kernel_));
  double scalars[2] = {data_norm2_, static_cast<double>(points_)};
  world.sum_to_root(scalars);
  data_norm2_ = scalars[0];
  points_ = static_cast<std::size_t>(scalars[1]);
  spectrum_ready_ = false;
}

// out = (Re K) * a, a circular convolution on the 2M grid that equals the linear one on the M grid.
void Merger::convolve(const std::vector<double>& a, std::vector<double>& out) {
  const std::size_t m = m_, n = 2 * m, c = m / 2;
  auto wrap = [n, c](std::size_t i) { return (i + n - c) % n; };  // grid index i holds offset i - c
  std::fill(work_.begin(), work_.end(), 0.0);
  for (std::size_t z = 0; z < m; ++z)
    for (std::size_t y = 0; y < m; ++y)
      for (std::size_t x = 0; x < m; ++x) work_[wrap(x) + n * (wrap(y) + n * wrap(z))] = a[x + m * (y + m * z)];
  forward_->execute();
  for (std::size_t k = 0; k < work_.size(); ++k) work_[k] *= kernel_spectrum_[k];
  backward_->execute();
  out.resize(a.size());
  for (std::size_t z = 0; z < m; ++z)
    for (std::size_t y = 0; y < m; ++y)
      for (std::size_t x = 0; x < m; ++x) out[x + m * (y + m * z)] = work_[wrap(x) + n * (wrap(y) + n * wrap(z))].real();
}

MergeResult Merger::solve(const std::vector<double>& a0, const MergeOptions& options) {
  const std::size_t m3 = m_ * m_ * m_;
  if (points_ == 0) throw InvalidArgument("merging needs data points");
  if (options.lambdas.empty()) throw InvalidArgument("merging needs at least one Tikhonov value");
  if (a0.size() != m3) throw InvalidArgument("the merging start has the wrong size");
  for (double l : options.lambdas) {
    if (!(l > 0) || !std::isfinite(l)) throw InvalidArgument(fmt::format("Tikhonov values must be > 0, got {}", l));
  }
  if (!spectrum_ready_) {
    // Re K is even, so its transform is real.
    for (std::size_t k = 0; k < work_.size(); ++k) work_[k] = kernel_[k].real();
    forward_->execute();
    kernel_spectrum_.resize(work_.size());
    const double scale = 1.0 / static_cast<double>(work_.size());
    for (std::size_t k = 0; k < work_.size(); ++k) kernel_spectrum_[k] = work_[k].real() * scale;
    spectrum_ready_ = true;
  }
  std::vector<double> rhs0(m3);
  for (std::size_t k = 0; k < m3; ++k) rhs0[k] = back_projection_[k].real();

  MergeResult result;
  std::vector<double> a = a0, r(m3), p(m3), ap(m3), rhs(m3);
  for (double lambda : options.lambdas) {
    const double mu = lambda * static_cast<double>(points_);
    for (std::size_t k = 0; k < m3; ++k) rhs[k] = rhs0[k] + mu * a0[k];
    const double rhs_norm = std::sqrt(dot(rhs, rhs));
    convolve(a, ap);
    for (std::size_t k = 0; k < m3; ++k) r[k] = rhs[k] - ap[k] - mu * a[k];
    p = r;
    double rr = dot(r, r);
    int it = 0;
    while (it < options.max_iterations && std::sqrt(rr) > options.tolerance * rhs_norm) {
      convolve(p, ap);
      for (std::size_t k = 0; k < m3; ++k) ap[k] += mu * p[k];
      const double alpha = rr / dot(p, ap);
      for (std::size_t k = 0; k < m3; ++k) a[k] += alpha * p[k], r[k] -= alpha * ap[k];
      const double rr_next = dot(r, r);
      for (std::size_t k = 0; k < m3; ++k) p[k] = r[k] + (rr_next / rr) * p[k];
      rr = rr_next;
      ++it;
    }
    // |A a - b|^2 = a.(A^T A a) - 2 a.(A^T b) + |b|^2
    convolve(a, ap);
    const double fit2 = std::max(0.0, dot(a, ap) - 2 * dot(a, rhs0) + data_norm2_);
    MergeCandidate candidate;
    candidate.lambda = lambda;
    candidate.autocorrelation = a;
    candidate.residual = data_norm2_ > 0 ? std::sqrt(fit2 / data_norm2_) : 0.0;
    double d2 = 0;
    for (std::size_t k = 0; k < m3; ++k) d2 += (a[k] - a0[k]) * (a[k] - a0[k]);
    candidate.norm = std::sqrt(d2);
    candidate.iterations = it;
    result.candidates.push_back(std::move(candidate));
  }
  result.chosen = l_curve_corner(result.candidates);
  return result;
}

std::size_t l_curve_corner(const std::vector<MergeCandidate>& candidates) {
  if (candidates.size() <= 2) return candidates.size() - 1;
  auto scaled = [&](auto value) {
    std::vector<double> v;
    for (const auto& c : candidates) v.push_back(std::log(std::max(value(c), 1e-300)));
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    const double low = *lo, span = *hi - *lo;
    for (double& x : v) x = span > 0 ? (x - low) / span : 0.0;
    return v;
  };
  const std::vector<double> fit = scaled([](const MergeCandidate& c) { return c.residual; });
  const std::vector<double> size = scaled([](const MergeCandidate& c) { return c.norm; });
  std::size_t best = 0;
  double best_distance = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const double d = std::hypot(fit[i], size[i]);
    if (d < best_distance) best_distance = d, best = i;
  }
  return best;
}

}  // namespace xpulse::spi
