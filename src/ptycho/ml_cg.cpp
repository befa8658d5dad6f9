#include "ptycho/ml_cg.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "ptycho/far_field.h"
#include "ptycho/sums_over_ranks.h"

namespace xpulse::ptycho {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

constexpr double kPreconditionerFloor = 1e-3;  // relative to the largest illumination (object power)
constexpr int kHalvings = 4;                   // of a step that raised the cost

// Re <a, b> = Re sum conj(a) b.
double real_dot(const std::vector<cfloat>& a, const std::vector<cfloat>& b) {
  double s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    s += static_cast<double>(a[k].real()) * b[k].real() + static_cast<double>(a[k].imag()) * b[k].imag();
  }
  return s;
}

double sum_in_order(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

// The window of a frame on an object-sized array.
const cfloat* window_row(const std::vector<cfloat>& object, std::size_t nx, Position p, std::size_t y) {
  return object.data() + (static_cast<std::size_t>(p.row) + y) * nx + static_cast<std::size_t>(p.col);
}

}  // namespace

MlEngine::MlEngine(const PtychoProblem& problem, const EngineOptions& options, runtime::ThreadPool& pool,
                   runtime::World& world)
    : problem_(problem), options_(options), pool_(pool), world_(world), fft_(problem.n) {
  fft_seconds_.assign(pool.size(), 0.0);
  work_.assign(pool.size(), std::vector<cfloat>(2 * problem.n * problem.n));
}

double MlEngine::frame_cost(std::size_t j, const cfloat* psi, cfloat* chi) const {
  const std::size_t n2 = problem_.n * problem_.n;
  const float* w = problem_.weight.data();
  double cost = 0;
  // Branch-free over the mask (w is 0 or 1) so that the loops vectorise.
  if (options_.noise == NoiseModel::gaussian) {
    const float* a = problem_.amplitude.data() + j * n2;
#pragma omp simd reduction(+ : cost)
    for (std::size_t k = 0; k < n2; ++k) {
      cfloat c;
      const float f = gaussian_cost(psi[k], a[k], c);
      chi[k] = w[k] * c;
      cost += w[k] * f;
    }
  } else {
    const float* d = problem_.intensity.data() + j * n2;
#pragma omp simd reduction(+ : cost)
    for (std::size_t k = 0; k < n2; ++k) {
      cfloat c;
      const float f = poisson_cost(psi[k], d[k], c);
      chi[k] = w[k] * c;
      cost += w[k] * f;
    }
  }
  return cost;
}

double MlEngine::gradient(const PtychoState& s) {
  const std::size_t n = problem_.n, n2 = n * n;
  const bool probe = options_.probe_refine;
  a_.resize(problem_.frames * n2);
  g_object_sum_.assign(s.object.size(), cdouble(0, 0));
  g_probe_sum_.assign(n2, cdouble(0, 0));
  std::vector<double> cost(problem_.frames, 0.0);
  std::vector<cfloat> batch(std::min(options_.batch, problem_.frames) * n2);
  for (std::size_t first = 0; first < problem_.frames; first += options_.batch) {
    const std::size_t count = std::min(options_.batch, problem_.frames - first);
    pool_.parallel_for(count, [&](std::size_t i, unsigned worker) {
      const std::size_t j = first + i;
      cfloat* a = a_.data() + j * n2;
      exit_wave(s.object.data(), problem_.object_nx, s.probe.data(), n, problem_.positions[j], a);
      cfloat* chi = batch.data() + i * n2;
      auto t = Clock::now();
      fft_.forward(a);
      fft_seconds_[worker] += since(t);
      cost[j] = frame_cost(j, a, chi);
      t = Clock::now();
      fft_.backward(chi);
      fft_seconds_[worker] += since(t);
    });
    add_to_object(batch.data(), first, count, problem_, s.probe.data(), g_object_sum_.data(), nullptr, pool_);
    if (probe) add_to_probe(batch.data(), first, count, problem_, s.object.data(), g_probe_sum_.data(), nullptr, pool_);
  }
  return sum_in_order(cost);
}

void MlEngine::preconditioner(const PtychoState& s) {
  // The object's depends on the probe only: computed once unless the probe moves.
  if (!have_object_preconditioner_ || options_.probe_refine) {
    std::vector<double> illumination(s.object.size(), 0.0);
    add_illumination(problem_, s.probe.data(), illumination.data(), pool_);
    sum_over_ranks(world_, std::span<double>(illumination));
    const double floor = kPreconditionerFloor * *std::max_element(illumination.begin(), illumination.end());
    m_object_.resize(illumination.size());
    for (std::size_t k = 0; k < illumination.size(); ++k) m_object_[k] = static_cast<float>(1 / (illumination[k] + floor));
    have_object_preconditioner_ = true;
  }
  m_probe_.assign(s.probe.size(), 0.0f);
  if (!options_.probe_refine) return;
  std::vector<double> power(s.probe.size(), 0.0);
  add_object_power(problem_, s.object.data(), power.data(), pool_);
  sum_over_ranks(world_, std::span<double>(power));
  const double floor = kPreconditionerFloor * *std::max_element(power.begin(), power.end());
  for (std::size_t k = 0; k < power.size(); ++k) m_probe_[k] = static_cast<float>(1 / (power[k] + floor));
}

double MlEngine::curvature(const PtychoState& s) {
  const std::size_t n = problem_.n, n2 = n * n, nx = problem_.object_nx;
  const bool probe = options_.probe_refine, poisson = options_.noise == NoiseModel::poisson;
  std::vector<double> curvature(problem_.frames, 0.0);
  pool_.parallel_for(problem_.frames, [&](std::size_t j, unsigned worker) {
    const Position p = problem_.positions[j];
    cfloat* b = work_[worker].data();
    cfloat* c = b + n2;
    for (std::size_t y = 0; y < n; ++y) {
      const cfloat* o = window_row(s.object, nx, p, y);
      const cfloat* d_o = window_row(d_object_, nx, p, y);
      const cfloat* pr = s.probe.data() + y * n;
      const cfloat* d_p = d_probe_.data() + y * n;
      if (probe) {
        for (std::size_t x = 0; x < n; ++x) b[y * n + x] = pr[x] * d_o[x] + d_p[x] * o[x], c[y * n + x] = d_p[x] * d_o[x];
      } else {
        for (std::size_t x = 0; x < n; ++x) b[y * n + x] = pr[x] * d_o[x];
      }
    }
    const auto t = Clock::now();
    fft_.forward(b);
    if (probe) fft_.forward(c);
    fft_seconds_[worker] += since(t);
    // The cost's second derivative along the line at step 0 (Psi' = B, Psi'' = 2 C), exact and Gauss-Newton.
    const cfloat* a = a_.data() + j * n2;
    const float* w = problem_.weight.data();
    const float* data = (poisson ? problem_.intensity.data() : problem_.amplitude.data()) + j * n2;
    double exact = 0, gauss_newton = 0;
#pragma omp simd reduction(+ : exact, gauss_newton)
    for (std::size_t k = 0; k < n2; ++k) {
      const float bb = norm2(b[k]);
      const float ab = a[k].real() * b[k].real() + a[k].imag() * b[k].imag();
      const float ac = probe ? a[k].real() * c[k].real() + a[k].imag() * c[k].imag() : 0.0f;
      float e, g;
      if (poisson) {
        // Fisher scoring (the data replaced by their expectation, the model): 4 (Re conj(Psi) B)^2 / |Psi|^2,
        // never above 4 |B|^2. The exact form's d (I'/I)^2 explodes where the model is far below the data.
        const float i = std::max(norm2(a[k]), kPoissonFloor);
        g = 4 * ab * ab / i;
        e = g;
      } else {
        const float u = std::sqrt(norm2(a[k]));
        const float inv = u > 0 ? 1 / u : 0.0f;
        const float du = ab * inv, ddu = (bb + 2 * ac - du * du) * inv;
        g = u > 0 ? 2 * du * du : 2 * bb;  // Gauss-Newton where |Psi| = 0
        e = u > 0 ? g + 2 * (u - data[k]) * ddu : g;
      }
      exact += w[k] * e;
      gauss_newton += w[k] * g;
    }
    // The larger of the two: Gauss-Newton's is never negative, and where the exact one is larger it is safer.
    // (Poisson: Fisher scoring alone.)
    const double sum = std::max(exact, gauss_newton);
    curvature[j] = sum;
  });
  return sum_in_order(curvature);
}

void MlEngine::move_along(PtychoState& s, double step) {
  const auto delta = static_cast<float>(step - step_);
  for (std::size_t k = 0; k < s.object.size(); ++k) s.object[k] += delta * d_object_[k];
  if (options_.probe_refine) {
    for (std::size_t k = 0; k < s.probe.size(); ++k) s.probe[k] += delta * d_probe_[k];
  }
  step_ = step;
}

void MlEngine::iterate(PtychoState& s) {
  const auto start = Clock::now();
  std::fill(fft_seconds_.begin(), fft_seconds_.end(), 0.0);
  std::vector<double> totals = {gradient(s), problem_.total_intensity};
  world_.sum_all(std::span<double>(totals));
  // A step that raised the cost is halved (back along the same direction) until it does not.
  for (int i = 0; i < kHalvings && have_direction_ && step_ > 0 && totals[0] > previous_cost_; ++i) {
    move_along(s, step_ / 2);
    totals = {gradient(s), problem_.total_intensity};
    world_.sum_all(std::span<double>(totals));
  }
  const bool restart = have_direction_ && totals[0] > previous_cost_;
  const double cost = totals[0];
  previous_cost_ = cost;
  // Added over ranks in double, then rounded once: the same floats for any number of ranks.
  sum_over_ranks(world_, std::span<cdouble>(g_object_sum_));
  sum_over_ranks(world_, std::span<cdouble>(g_probe_sum_));
  g_object_.resize(g_object_sum_.size());
  g_probe_.resize(g_probe_sum_.size());
  for (std::size_t k = 0; k < g_object_.size(); ++k) g_object_[k] = cfloat(g_object_sum_[k]);
  for (std::size_t k = 0; k < g_probe_.size(); ++k) g_probe_[k] = cfloat(g_probe_sum_[k]);
  preconditioner(s);

  // Polak-Ribiere+ with the preconditioner M: beta = <g, M g - M g_old> / <g_old, M g_old>.
  std::vector<cfloat> h_object(g_object_.size()), h_probe(g_probe_.size());
  for (std::size_t k = 0; k < h_object.size(); ++k) h_object[k] = m_object_[k] * g_object_[k];
  for (std::size_t k = 0; k < h_probe.size(); ++k) h_probe[k] = m_probe_[k] * g_probe_[k];
  const double gh = real_dot(g_object_, h_object) + real_dot(g_probe_, h_probe);
  double beta = 0;
  if (have_direction_ && !restart && previous_gh_ > 0) {
    const double g_h_old = real_dot(g_object_, h_object_) + real_dot(g_probe_, h_probe_);
    beta = std::max(0.0, (gh - g_h_old) / previous_gh_);
  }
  h_object_.swap(h_object);
  h_probe_.swap(h_probe);
  previous_gh_ = gh;
  if (!have_direction_) {
    d_object_.assign(h_object_.size(), cfloat(0, 0));
    d_probe_.assign(h_probe_.size(), cfloat(0, 0));
  }
  const auto b = static_cast<float>(beta);
  for (std::size_t k = 0; k < d_object_.size(); ++k) d_object_[k] = b * d_object_[k] - h_object_[k];
  for (std::size_t k = 0; k < d_probe_.size(); ++k) d_probe_[k] = b * d_probe_[k] - h_probe_[k];
  double slope = 2 * (real_dot(g_object_, d_object_) + real_dot(g_probe_, d_probe_));
  if (!(slope < 0)) {  // not a descent direction: restart along -M g
    for (std::size_t k = 0; k < d_object_.size(); ++k) d_object_[k] = -h_object_[k];
    for (std::size_t k = 0; k < d_probe_.size(); ++k) d_probe_[k] = -h_probe_[k];
    slope = -2 * gh;
  }
  have_direction_ = true;
  step_ = 0;

  // Newton's step on the cost along the line.
  std::vector<double> second = {curvature(s)};
  world_.sum_all(std::span<double>(second));
  const double step = second[0] > 0 && slope < 0 ? -slope / second[0] : 0.0;
  if (step > 0) move_along(s, step);

  IterationRecord record;
  record.iteration = s.iterations_done;
  record.cost = cost / totals[1];
  record.step = step;
  record.fft_seconds = sum_in_order(fft_seconds_);
  record.seconds = since(start);
  s.history.push_back(record);
  ++s.iterations_done;
}

}  // namespace xpulse::ptycho
