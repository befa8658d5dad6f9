#include "ptycho/course.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "ptycho/far_field.h"

namespace xpulse::ptycho {
namespace {

// E[g(X, lambda)] for X ~ Poisson(lambda), summed far enough into the tail.
template <typename G>
double poisson_expectation(double lambda, G g) {
  const int top = static_cast<int>(lambda + 12 * std::sqrt(lambda) + 12);
  double p = std::exp(-lambda), sum = 0;
  for (int x = 0; x <= top; ++x) {
    sum += p * g(static_cast<double>(x));
    p *= lambda / (x + 1);
  }
  return sum;
}

// The expected cost of one pixel of mean lambda photons under the true model, tabulated at lambda = k / 8 up to
// 64 photons; above, the large-count limits (1/4 and 1/2).
class FloorTable {
 public:
  explicit FloorTable(bool poisson) : large_(poisson ? 0.5 : 0.25) {
    for (std::size_t k = 0; k < values_.size(); ++k) {
      const double lambda = static_cast<double>(k) / kPerPhoton;
      values_[k] = poisson ? poisson_expectation(lambda, [&](double x) {
        return lambda - x - (x > 0 && lambda > 0 ? x * std::log(lambda / x) : 0.0);
      })
                           : poisson_expectation(lambda, [&](double x) {
                               const double d = std::sqrt(x) - std::sqrt(lambda);
                               return d * d;
                             });
    }
  }
  double operator()(double lambda) const {
    const double at = lambda * kPerPhoton;
    if (at >= static_cast<double>(values_.size() - 1)) return large_;
    const auto k = static_cast<std::size_t>(at);
    const double f = at - static_cast<double>(k);
    return values_[k] * (1 - f) + values_[k + 1] * f;
  }

 private:
  static constexpr double kPerPhoton = 8;
  std::array<double, 64 * 8 + 1> values_{};
  double large_;
};

}  // namespace

void CourseOptions::validate() const {
  if (iterations < 1) throw InvalidArgument(fmt::format("--iterations must be >= 1, got {}", iterations));
  if (warm_up < 0) throw InvalidArgument(fmt::format("--warm-up must be >= 0, got {}", warm_up));
  if (probe_start < 0) throw InvalidArgument(fmt::format("--probe-start must be >= 0, got {}", probe_start));
  if (!(centre_tolerance >= 0)) throw InvalidArgument("--centre-tolerance must be >= 0");
  if (!(average >= 0 && average < 1)) {
    throw InvalidArgument(fmt::format("--average must be in [0, 1), got {}", average));
  }
  if (!(dm_settle >= 0 && dm_settle <= 1)) {
    throw InvalidArgument(fmt::format("--dm-settle must be in [0, 1], got {}", dm_settle));
  }
}

std::vector<Phase> course_phases(Algorithm algorithm, const CourseOptions& o) {
  o.validate();
  // The whole course as (algorithm, iterations), then cut where the probe starts to be refined.
  std::vector<Phase> runs;
  if (algorithm == Algorithm::ml && o.warm_up > 0) runs.push_back({Algorithm::dm, false, o.warm_up});
  runs.push_back({algorithm, false, o.iterations});
  std::vector<Phase> phases;
  int start = 0;
  for (const Phase& run : runs) {
    const int fixed = o.probe_refine ? std::clamp(o.probe_start - start, 0, run.iterations) : run.iterations;
    if (fixed > 0) phases.push_back({run.algorithm, false, fixed});
    if (run.iterations > fixed) phases.push_back({run.algorithm, true, run.iterations - fixed});
    start += run.iterations;
  }
  return phases;
}

Course::Course(const PtychoProblem& problem, const EngineOptions& options, const CourseOptions& course,
               runtime::ThreadPool& pool, runtime::World& world)
    : problem_(problem), options_(options), course_(course), pool_(pool), world_(world),
      phases_(course_phases(options.algorithm, course)) {
  options_.validate();
  for (const Phase& p : phases_) total_ += p.iterations;
  // The main algorithm's iterations are the course's last; ML returns its last iterate.
  const int averaged = options.algorithm == Algorithm::ml
                           ? 0
                           : static_cast<int>(std::floor(course.average * course.iterations));
  average_from_ = total_ - averaged;
}

void Course::accumulate(const PtychoState& s) {
  if (averaged_ == 0) {
    object_sum_.assign(s.object.size(), cdouble(0, 0));
    probe_sum_.assign(s.probe.size(), cdouble(0, 0));
  }
  for (std::size_t k = 0; k < s.object.size(); ++k) object_sum_[k] += cdouble(s.object[k]);
  for (std::size_t k = 0; k < s.probe.size(); ++k) probe_sum_[k] += cdouble(s.probe[k]);
  ++averaged_;
}

void Course::iterate(PtychoState& state) {
  if (done()) throw InvalidArgument("the reconstruction's iterations are all done");
  if (in_phase_ == phases_[phase_].iterations) ++phase_, in_phase_ = 0, engine_.reset();
  const Phase& phase = phases_[phase_];
  if (!engine_) {
    EngineOptions o = options_;
    o.algorithm = phase.algorithm, o.probe_refine = phase.probe_refine;
    if (phase.algorithm != Algorithm::ml) o.cuda_device = -1;  // only ML's frames run on a GPU
    if (phase.algorithm == Algorithm::dm && options_.algorithm == Algorithm::dm && course_.dm_settle > 0) {
      o.dm_settle_to = total_;
      o.dm_settle_from = total_ - static_cast<int>(std::lround(course_.dm_settle * course_.iterations));
    }
    engine_ = Engine::create(problem_, o, pool_, world_);
  }
  engine_->iterate(state);
  state.history.back().algorithm = phase.algorithm;
  state.history.back().probe_refined = phase.probe_refine;
  ++in_phase_, ++done_;
  const std::size_t n = problem_.n;
  if (phase.probe_refine && course_.centre_tolerance > 0) {
    const auto [cy, cx] = probe_centre(state.probe, n);
    const double ty = static_cast<double>(n / 2) - cy, tx = static_cast<double>(n / 2) - cx;
    if (std::hypot(ty, tx) > course_.centre_tolerance) {
      const int dy = static_cast<int>(std::lround(ty)), dx = static_cast<int>(std::lround(tx));
      roll(state.probe, n, n, dy, dx);
      roll(state.object, problem_.object_ny, problem_.object_nx, dy, dx);
      engine_->moved(dy, dx);
      if (averaged_ > 0) {
        roll(probe_sum_, n, n, dy, dx);
        roll(object_sum_, problem_.object_ny, problem_.object_nx, dy, dx);
      }
      shifted_[0] += dy, shifted_[1] += dx;
    }
  }
  if (done_ > average_from_) accumulate(state);
  if (done() && averaged_ > 1) {
    const double share = 1.0 / averaged_;
    for (std::size_t k = 0; k < state.object.size(); ++k) state.object[k] = cfloat(object_sum_[k] * share);
    for (std::size_t k = 0; k < state.probe.size(); ++k) state.probe[k] = cfloat(probe_sum_[k] * share);
  }
}

std::pair<double, double> probe_centre(const std::vector<cfloat>& probe, std::size_t n) {
  double total = 0, sy = 0, sx = 0;
  for (std::size_t y = 0; y < n; ++y)
    for (std::size_t x = 0; x < n; ++x) {
      const double w = norm2(probe[y * n + x]);
      total += w, sy += w * static_cast<double>(y), sx += w * static_cast<double>(x);
    }
  if (!(total > 0)) return {static_cast<double>(n / 2), static_cast<double>(n / 2)};
  return {sy / total, sx / total};
}

ModelFit model_fit(const PtychoProblem& problem, const PtychoState& state, bool poisson, runtime::ThreadPool& pool,
                   runtime::World& world) {
  const FloorTable table(poisson);
  const std::size_t n = problem.n, n2 = n * n;
  const FrameFft fft(n);
  std::vector<double> cost(problem.frames, 0.0), expected(problem.frames, 0.0);
  std::vector<std::vector<cfloat>> work(pool.size(), std::vector<cfloat>(n2));
  constexpr std::size_t kBlock = 64;
  for (std::size_t first = 0; first < problem.frames; first += kBlock) {
    const std::size_t count = std::min(kBlock, problem.frames - first);
    const FrameBlock block(problem, first, count);
    pool.parallel_for(count, [&](std::size_t i, unsigned worker) {
      const std::size_t j = first + i;
      cfloat* psi = work[worker].data();
      exit_wave(state.object.data(), problem.object_nx, state.probe.data(), n, problem.positions[j], psi);
      fft.forward(psi);
      const float* d = block.intensity(j);
      const float* a = block.amplitude(j);
      for (std::size_t k = 0; k < n2; ++k) {
        if (problem.weight[k] == 0) continue;
        const float re = psi[k].real(), im = psi[k].imag();
        float factor;
        cost[j] += poisson ? poisson_cost(re, im, d[k], factor) : gaussian_cost(re, im, a[k], factor);
        expected[j] += table(norm2(psi[k]));
      }
    });
  }
  std::vector<double> totals = {0, 0, problem.total_intensity};
  for (std::size_t j = 0; j < problem.frames; ++j) totals[0] += cost[j], totals[1] += expected[j];
  world.sum_all(std::span<double>(totals));
  if (!(totals[2] > 0)) return {};
  return {totals[0] / totals[2], totals[1] / totals[2]};
}

ModelFit model_fit(const PtychoProblem& problem, const PtychoState& state, const EngineOptions& options,
                   runtime::ThreadPool& pool, runtime::World& world) {
  const bool poisson = options.algorithm == Algorithm::ml && options.noise == NoiseModel::poisson;
  return model_fit(problem, state, poisson, pool, world);
}

std::optional<std::string> convergence_warning(const ModelFit& fit, double factor) {
  if (!(fit.expected > 0) || fit.cost <= factor * fit.expected) return std::nullopt;
  return fmt::format("the model's cost {:.4g} is {:.1f} times what Poisson noise alone would leave ({:.4g}): the "
                     "reconstruction has probably not converged (more iterations, --warm-up, or a --probe nearer "
                     "the truth), or the frames are not photon counts",
                     fit.cost, fit.cost / fit.expected, fit.expected);
}

}  // namespace xpulse::ptycho
