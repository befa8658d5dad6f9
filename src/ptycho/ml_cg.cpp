#include "ptycho/ml_cg.h"

#include <algorithm>
#include <chrono>
#include <cmath>

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

}  // namespace

MlEngine::MlEngine(const PtychoProblem& problem, const EngineOptions& options, runtime::ThreadPool& pool,
                   runtime::World& world)
    : problem_(problem), options_(options), pool_(pool), world_(world),
      frames_(options.cuda_device >= 0 ? cuda_ml_frames(problem, options, options.cuda_device)
                                       : cpu_ml_frames(problem, options, pool)) {}

void MlEngine::preconditioner(const PtychoState& s) {
  // The object's depends on the probe only: computed once unless the probe moves.
  if (!have_object_preconditioner_ || options_.probe_refine) {
    std::vector<double>& illumination = illumination_;
    illumination.assign(s.object.size(), 0.0);
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
  std::vector<double> totals = {frames_->gradient(s, g_object_sum_, g_probe_sum_), problem_.total_intensity};
  world_.sum_all(std::span<double>(totals));
  // A step that raised the cost is halved (back along the same direction) until it does not.
  for (int i = 0; i < kHalvings && have_direction_ && step_ > 0 && totals[0] > previous_cost_; ++i) {
    move_along(s, step_ / 2);
    totals = {frames_->gradient(s, g_object_sum_, g_probe_sum_), problem_.total_intensity};
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
  std::vector<cfloat>& h_object = h_object_next_;
  std::vector<cfloat>& h_probe = h_probe_next_;
  h_object.resize(g_object_.size()), h_probe.resize(g_probe_.size());
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
  std::vector<double> second = {frames_->curvature(s, d_object_, d_probe_)};
  world_.sum_all(std::span<double>(second));
  const double step = second[0] > 0 && slope < 0 ? -slope / second[0] : 0.0;
  if (step > 0) move_along(s, step);

  IterationRecord record;
  record.iteration = s.iterations_done;
  record.cost = cost / totals[1];
  record.step = step;
  record.fft_seconds = frames_->take_fft_seconds();
  record.seconds = since(start);
  s.history.push_back(record);
  ++s.iterations_done;
}

}  // namespace xpulse::ptycho
