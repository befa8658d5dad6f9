#include "nufft/type3.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "core/error.h"
#include "nufft/es_kernel.h"
#include "nufft/plan.h"
#include "nufft/spreader.h"
#include "runtime/thread_pool.h"

namespace xpulse::nufft {
namespace {

constexpr double kPi = std::numbers::pi;

// psihat(xi) for |xi| <= pi / 2 as a Chebyshev series in xi (psihat is smooth and even), so that each target
// costs a short recurrence rather than a quadrature.
class KernelTransform {
 public:
  KernelTransform() = default;
  explicit KernelTransform(const EsKernel& kernel) {
    std::vector<double> nodes(kNodes);
    for (int j = 0; j < kNodes; ++j) nodes[static_cast<std::size_t>(j)] = kHalfRange * std::cos(kPi * (j + 0.5) / kNodes);
    const std::vector<double> values = kernel.fourier_transform(nodes);
    coefficients_.assign(kNodes, 0.0);
    for (int k = 0; k < kNodes; ++k) {
      double sum = 0.0;
      for (int j = 0; j < kNodes; ++j) sum += values[static_cast<std::size_t>(j)] * std::cos(kPi * k * (j + 0.5) / kNodes);
      coefficients_[static_cast<std::size_t>(k)] = (k == 0 ? 1.0 : 2.0) * sum / kNodes;
    }
  }
  double operator()(double xi) const {  // Clenshaw
    const double s = xi / kHalfRange;
    double b1 = 0.0, b2 = 0.0;
    for (int k = kNodes - 1; k >= 1; --k) {
      const double b0 = 2.0 * s * b1 - b2 + coefficients_[static_cast<std::size_t>(k)];
      b2 = b1;
      b1 = b0;
    }
    return s * b1 - b2 + coefficients_[0];
  }

 private:
  static constexpr int kNodes = 48;
  static constexpr double kHalfRange = kPi / 2;
  std::vector<double> coefficients_;
};

}  // namespace

struct Type3Transform::Impl {
  std::array<double, 3> max_frequency{};
  double eps = 0;
  int sign = 1;
  unsigned threads = 1;
  EsKernel kernel;
  KernelTransform psihat;
  runtime::ThreadPool pool;
  bool sources_set = false;
  std::size_t n[3] = {0, 0, 0};
  double centre[3] = {0, 0, 0};
  double gamma[3] = {1, 1, 1};
  std::vector<std::complex<double>> spread;  // b, the inner type 2's modes (FFT order)
  std::unique_ptr<Plan<double>> inner;

  Impl(unsigned t) : pool(t) {}
};

Type3Transform::Type3Transform(std::array<double, 3> max_frequency, double eps, int sign, unsigned threads)
    : impl_(std::make_unique<Impl>(std::max(1u, threads))) {
  for (double s : max_frequency) {
    if (!(s >= 0) || !std::isfinite(s)) {
      throw InvalidArgument(fmt::format("type 3 NUFFT maximum frequency {} must be finite and >= 0", s));
    }
  }
  if (!(eps >= 1e-14) || !(eps <= 0.1)) {
    throw InvalidArgument(fmt::format("type 3 NUFFT tolerance eps = {} is outside [1e-14, 0.1]", eps));
  }
  if (sign != 1 && sign != -1) throw InvalidArgument(fmt::format("NUFFT sign must be +1 or -1, not {}", sign));
  Impl& p = *impl_;
  p.max_frequency = max_frequency;
  p.eps = eps;
  p.sign = sign;
  p.threads = std::max(1u, threads);
  p.kernel = EsKernel::for_tolerance(eps);
  p.psihat = KernelTransform(p.kernel);
}

Type3Transform::~Type3Transform() = default;
Type3Transform::Type3Transform(Type3Transform&&) noexcept = default;
Type3Transform& Type3Transform::operator=(Type3Transform&&) noexcept = default;

void Type3Transform::set_sources(std::size_t count, const double* x, const double* y, const double* z,
                                 const std::complex<double>* c) {
  Impl& p = *impl_;
  p.sources_set = false;
  const double* coords[3] = {x, y, z};
  const int w = p.kernel.width;
  std::vector<double> u[3];
  for (int d = 0; d < 3; ++d) {
    double lo = 0, hi = 0;
    for (std::size_t j = 0; j < count; ++j) {
      const double v = coords[d][j];
      if (!std::isfinite(v)) throw InputError(fmt::format("type 3 NUFFT source {} has coordinate {}", j, v));
      lo = j == 0 ? v : std::min(lo, v);
      hi = j == 0 ? v : std::max(hi, v);
    }
    p.centre[d] = 0.5 * (lo + hi);
    const double s = p.max_frequency[d];
    // Half-width X; a degenerate box gets one small enough that the grid stays minimal.
    double half = 0.5 * (hi - lo);
    if (half * s < 1e-9) half = std::max(half, 1e-9 / std::max(s, 1e-300));
    // Sources inside |u| <= pi (1 - (w + 2) / n) and targets |t h| <= pi / 2 need n >= 4 S X / pi + w + 2.
    p.n[d] = smooth_even_size(std::max<std::size_t>(
        2 * static_cast<std::size_t>(w), static_cast<std::size_t>(std::ceil(4.0 * s * half / kPi)) + w + 2));
    p.gamma[d] = half / (kPi * (1.0 - (w + 2.0) / static_cast<double>(p.n[d])));
    u[d].resize(count);
    for (std::size_t j = 0; j < count; ++j) u[d][j] = (coords[d][j] - p.centre[d]) / p.gamma[d];
  }
  const int width[3] = {w, w, w};
  Spreader<double> spreader(p.n, width, p.kernel);
  const double* mapped[3] = {u[0].data(), u[1].data(), u[2].data()};
  spreader.sort(count, mapped, p.pool);
  p.spread.assign(p.n[0] * p.n[1] * p.n[2], std::complex<double>(0));
  spreader.spread(c, p.spread.data(), p.pool);
  const std::vector<std::size_t> modes = {p.n[0], p.n[1], p.n[2]};
  p.inner = std::make_unique<Plan<double>>(2, modes, p.eps, PlanOptions{p.sign, p.threads, ModeOrder::fft});
  p.sources_set = true;
}

void Type3Transform::evaluate(std::size_t m, const double* sx, const double* sy, const double* sz,
                              std::complex<double>* f) {
  Impl& p = *impl_;
  if (!p.sources_set) throw InvalidArgument("type 3 NUFFT evaluate before set_sources");
  const double* s[3] = {sx, sy, sz};
  std::vector<double> t[3];
  for (int d = 0; d < 3; ++d) {
    const double h = 2.0 * kPi / static_cast<double>(p.n[d]);
    const double limit = p.max_frequency[d] * (1.0 + 1e-12);
    t[d].resize(m);
    for (std::size_t q = 0; q < m; ++q) {
      if (!(std::abs(s[d][q]) <= limit)) {
        throw InputError(fmt::format("type 3 NUFFT target {} has frequency {} outside [-{}, {}] in dimension {}", q,
                                     s[d][q], p.max_frequency[d], p.max_frequency[d], "xyz"[d]));
      }
      t[d][q] = s[d][q] * p.gamma[d] * h;
    }
  }
  p.inner->set_points(m, t[0].data(), t[1].data(), t[2].data());
  p.inner->execute(f, p.spread.data());
  p.pool.parallel_for((m + 4095) / 4096, [&](std::size_t chunk, unsigned) {
    const std::size_t q1 = std::min(m, (chunk + 1) * 4096);
    for (std::size_t q = chunk * 4096; q < q1; ++q) {
      const double deconvolve = 1.0 / (p.psihat(t[0][q]) * p.psihat(t[1][q]) * p.psihat(t[2][q]));
      const double phase = p.sign * (s[0][q] * p.centre[0] + s[1][q] * p.centre[1] + s[2][q] * p.centre[2]);
      f[q] *= std::polar(deconvolve, phase);
    }
  });
}

std::array<std::size_t, 3> Type3Transform::grid() const { return {impl_->n[0], impl_->n[1], impl_->n[2]}; }

}  // namespace xpulse::nufft
