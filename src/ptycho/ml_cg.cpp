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

constexpr int kRefreshIterations = 20;      // A recomputed by FFT this often
constexpr float kPreconditionerFloor = 1e-3f;  // relative to the largest illumination (object power)
constexpr int kSecantSteps = 2;
constexpr int kHalvings = 6;

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
  work_.assign(pool.size(), std::vector<cfloat>(problem.n * problem.n));
  fft_seconds_.assign(pool.size(), 0.0);
}

double MlEngine::frame_cost(std::size_t j, const cfloat* psi, cfloat* chi) const {
  const std::size_t n2 = problem_.n * problem_.n;
  const float* w = problem_.weight.data();
  double cost = 0;
  if (options_.noise == NoiseModel::gaussian) {
    const float* a = problem_.amplitude.data() + j * n2;
    for (std::size_t k = 0; k < n2; ++k) {
      if (w[k] == 0) {
        chi[k] = cfloat(0, 0);
        continue;
      }
      cost += gaussian_cost(psi[k], a[k], chi[k]);
    }
  } else {
    const float* d = problem_.intensity.data() + j * n2;
    for (std::size_t k = 0; k < n2; ++k) {
      if (w[k] == 0) {
        chi[k] = cfloat(0, 0);
        continue;
      }
      cost += poisson_cost(psi[k], d[k], chi[k]);
    }
  }
  return cost;
}

void MlEngine::far_fields(const PtychoState& s) {
  const std::size_t n = problem_.n, n2 = n * n;
  a_.resize(problem_.frames * n2);
  pool_.parallel_for(problem_.frames, [&](std::size_t j, unsigned worker) {
    cfloat* psi = a_.data() + j * n2;
    exit_wave(s.object.data(), problem_.object_nx, s.probe.data(), n, problem_.positions[j], psi);
    const auto t = Clock::now();
    fft_.forward(psi);
    fft_seconds_[worker] += since(t);
  });
}

double MlEngine::gradient(const PtychoState& s) {
  const std::size_t n2 = problem_.n * problem_.n;
  g_object_.assign(s.object.size(), cfloat(0, 0));
  g_probe_.assign(n2, cfloat(0, 0));
  std::vector<double> cost(problem_.frames, 0.0);
  std::vector<cfloat> batch(std::min(options_.batch, problem_.frames) * n2);
  for (std::size_t first = 0; first < problem_.frames; first += options_.batch) {
    const std::size_t count = std::min(options_.batch, problem_.frames - first);
    pool_.parallel_for(count, [&](std::size_t i, unsigned worker) {
      const std::size_t j = first + i;
      cfloat* chi = batch.data() + i * n2;
      cost[j] = frame_cost(j, a_.data() + j * n2, chi);
      const auto t = Clock::now();
      fft_.backward(chi);
      fft_seconds_[worker] += since(t);
    });
    add_to_object(batch.data(), first, count, problem_, s.probe.data(), g_object_.data(), nullptr, pool_);
    if (options_.probe_refine) {
      add_to_probe(batch.data(), first, count, problem_, s.object.data(), g_probe_.data(), nullptr, pool_);
    }
  }
  return sum_in_order(cost);
}

void MlEngine::preconditioner(const PtychoState& s) {
  std::vector<float> illumination(s.object.size(), 0.0f);
  add_illumination(problem_, s.probe.data(), illumination.data(), pool_);
  sum_over_ranks(world_, std::span<float>(illumination));
  const float object_floor = kPreconditionerFloor * *std::max_element(illumination.begin(), illumination.end());
  m_object_.resize(illumination.size());
  for (std::size_t k = 0; k < illumination.size(); ++k) m_object_[k] = 1.0f / (illumination[k] + object_floor);
  m_probe_.assign(s.probe.size(), 0.0f);
  if (!options_.probe_refine) return;
  std::vector<float> power(s.probe.size(), 0.0f);
  add_object_power(problem_, s.object.data(), power.data(), pool_);
  sum_over_ranks(world_, std::span<float>(power));
  const float probe_floor = kPreconditionerFloor * *std::max_element(power.begin(), power.end());
  for (std::size_t k = 0; k < power.size(); ++k) m_probe_[k] = 1.0f / (power[k] + probe_floor);
}

double MlEngine::direction_far_fields(const PtychoState& s) {
  const std::size_t n = problem_.n, n2 = n * n, nx = problem_.object_nx;
  const bool probe = options_.probe_refine;
  b_.resize(problem_.frames * n2);
  if (probe) c_.resize(problem_.frames * n2);
  std::vector<double> curvature(problem_.frames, 0.0);
  pool_.parallel_for(problem_.frames, [&](std::size_t j, unsigned worker) {
    const Position p = problem_.positions[j];
    cfloat* b = b_.data() + j * n2;
    cfloat* c = probe ? c_.data() + j * n2 : nullptr;
    for (std::size_t y = 0; y < n; ++y) {
      const cfloat* o = window_row(s.object, nx, p, y);
      const cfloat* d_o = window_row(d_object_, nx, p, y);
      const cfloat* pr = s.probe.data() + y * n;
      const cfloat* d_p = d_probe_.data() + y * n;
      for (std::size_t x = 0; x < n; ++x) {
        b[y * n + x] = pr[x] * d_o[x] + (probe ? d_p[x] * o[x] : cfloat(0, 0));
        if (probe) c[y * n + x] = d_p[x] * d_o[x];
      }
    }
    const auto t = Clock::now();
    fft_.forward(b);
    if (probe) fft_.forward(c);
    fft_seconds_[worker] += since(t);
    double k = 0;
    for (std::size_t i = 0; i < n2; ++i) k += problem_.weight[i] * std::norm(b[i]);
    curvature[j] = k;
  });
  return sum_in_order(curvature);
}

MlEngine::LinePoint MlEngine::evaluate(double step) {
  const std::size_t n2 = problem_.n * problem_.n;
  const bool probe = options_.probe_refine;
  const auto a1 = static_cast<float>(step), a2 = static_cast<float>(step * step);
  std::vector<double> cost(problem_.frames, 0.0), slope(problem_.frames, 0.0);
  pool_.parallel_for(problem_.frames, [&](std::size_t j, unsigned worker) {
    cfloat* psi = work_[worker].data();
    const cfloat* a = a_.data() + j * n2;
    const cfloat* b = b_.data() + j * n2;
    const cfloat* c = probe ? c_.data() + j * n2 : nullptr;
    for (std::size_t k = 0; k < n2; ++k) psi[k] = a[k] + a1 * b[k] + (probe ? a2 * c[k] : cfloat(0, 0));
    thread_local std::vector<cfloat> chi;
    chi.resize(n2);
    cost[j] = frame_cost(j, psi, chi.data());
    double s = 0;
    for (std::size_t k = 0; k < n2; ++k) {
      const cfloat along = b[k] + (probe ? 2.0f * a1 * c[k] : cfloat(0, 0));
      s += static_cast<double>(chi[k].real()) * along.real() + static_cast<double>(chi[k].imag()) * along.imag();
    }
    slope[j] = 2 * s;
  });
  std::vector<double> sums = {sum_in_order(cost), sum_in_order(slope)};
  world_.sum_all(std::span<double>(sums));
  return {step, sums[0], sums[1]};
}

void MlEngine::iterate(PtychoState& s) {
  const auto start = Clock::now();
  std::fill(fft_seconds_.begin(), fft_seconds_.end(), 0.0);
  if (!have_far_fields_ || since_refresh_ >= kRefreshIterations) {
    far_fields(s);
    have_far_fields_ = true;
    since_refresh_ = 0;
  }
  std::vector<double> totals = {gradient(s), problem_.total_intensity};
  world_.sum_all(std::span<double>(totals));
  const double cost = totals[0];
  sum_over_ranks(world_, std::span<cfloat>(g_object_));
  sum_over_ranks(world_, std::span<cfloat>(g_probe_));
  preconditioner(s);

  // Polak-Ribiere+ with the preconditioner M: beta = <g, M g - M g_old> / <g_old, M g_old>.
  std::vector<cfloat> h_object(g_object_.size()), h_probe(g_probe_.size());
  for (std::size_t k = 0; k < h_object.size(); ++k) h_object[k] = m_object_[k] * g_object_[k];
  for (std::size_t k = 0; k < h_probe.size(); ++k) h_probe[k] = m_probe_[k] * g_probe_[k];
  const double gh = real_dot(g_object_, h_object) + real_dot(g_probe_, h_probe);
  double beta = 0;
  if (have_direction_ && previous_gh_ > 0) {
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

  // Line search on the parabolic far fields.
  std::vector<double> curvature = {direction_far_fields(s)};
  world_.sum_all(std::span<double>(curvature));
  const LinePoint origin{0, cost, slope};
  LinePoint best = origin;
  if (curvature[0] > 0 && slope < 0) {
    LinePoint previous = origin, current = evaluate(-slope / (2 * curvature[0]));
    if (current.cost < best.cost) best = current;
    double largest = current.step;
    for (int i = 0; i < kSecantSteps && current.slope != previous.slope; ++i) {
      double next = current.step - current.slope * (current.step - previous.step) / (current.slope - previous.slope);
      if (!(next > 0) || !std::isfinite(next)) break;
      next = std::min(next, 4 * largest);
      if (std::abs(next - current.step) < 1e-3 * current.step) break;
      previous = current;
      current = evaluate(next);
      largest = std::max(largest, next);
      if (current.cost < best.cost) best = current;
    }
    for (int i = 0; i < kHalvings && best.step == 0; ++i) {
      largest *= 0.5;
      const LinePoint p = evaluate(largest);
      if (p.cost < best.cost) best = p;
    }
  }
  if (best.step == 0) have_direction_ = false;  // no decrease: restart next time

  const auto a1 = static_cast<float>(best.step), a2 = static_cast<float>(best.step * best.step);
  if (best.step > 0) {
    for (std::size_t k = 0; k < s.object.size(); ++k) s.object[k] += a1 * d_object_[k];
    if (options_.probe_refine) {
      for (std::size_t k = 0; k < s.probe.size(); ++k) s.probe[k] += a1 * d_probe_[k];
    }
    const std::size_t n2 = problem_.n * problem_.n;
    const bool probe = options_.probe_refine;
    pool_.parallel_for(problem_.frames, [&](std::size_t j, unsigned) {
      cfloat* a = a_.data() + j * n2;
      const cfloat* bb = b_.data() + j * n2;
      const cfloat* c = probe ? c_.data() + j * n2 : nullptr;
      for (std::size_t k = 0; k < n2; ++k) a[k] += a1 * bb[k] + (probe ? a2 * c[k] : cfloat(0, 0));
    });
  }
  ++since_refresh_;

  IterationRecord record;
  record.iteration = s.iterations_done;
  record.cost = cost / totals[1];
  record.step = best.step;
  record.fft_seconds = sum_in_order(fft_seconds_);
  record.seconds = since(start);
  s.history.push_back(record);
  ++s.iterations_done;
}

}  // namespace xpulse::ptycho
