#include "ptycho/epie.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "ptycho/far_field.h"
#include "sim/random.h"

namespace xpulse::ptycho {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

EpieEngine::EpieEngine(const PtychoProblem& problem, const EngineOptions& options)
    : problem_(problem), options_(options), fft_(problem.n) {
  const std::size_t n2 = problem.n * problem.n;
  psi_.resize(n2), corrected_.resize(n2), window_.resize(n2);
}

void EpieEngine::iterate(PtychoState& s) {
  const auto start = Clock::now();
  const std::size_t n = problem_.n, n2 = n * n, nx = problem_.object_nx;
  IterationRecord record;
  record.iteration = s.iterations_done;
  std::vector<std::size_t> order(problem_.frames);
  std::iota(order.begin(), order.end(), std::size_t{0});
  sim::Xoshiro256 random(options_.seed, static_cast<std::uint64_t>(s.iterations_done));
  std::shuffle(order.begin(), order.end(), random);
  const auto alpha = static_cast<float>(options_.epie_object_step), beta = static_cast<float>(options_.epie_probe_step);
  double cost = 0, fft_seconds = 0;
  for (const std::size_t j : order) {
    const Position p = problem_.positions[j];
    exit_wave(s.object.data(), nx, s.probe.data(), n, p, psi_.data());
    std::copy(psi_.begin(), psi_.end(), corrected_.begin());
    auto t = Clock::now();
    fft_.forward(corrected_.data());
    fft_seconds += since(t);
    cost += project_modulus(corrected_.data(), problem_.amplitude.data() + j * n2, problem_.weight.data(), n2);
    t = Clock::now();
    fft_.backward(corrected_.data());
    fft_seconds += since(t);
    for (std::size_t k = 0; k < n2; ++k) corrected_[k] -= psi_[k];  // psi' - psi
    float probe_max = 0;
    for (const cfloat& v : s.probe) probe_max = std::max(probe_max, norm2(v));
    float object_max = 0;
    for (std::size_t y = 0; y < n; ++y) {
      const cfloat* o = s.object.data() + (static_cast<std::size_t>(p.row) + y) * nx + static_cast<std::size_t>(p.col);
      std::copy(o, o + n, window_.data() + y * n);
      for (std::size_t x = 0; x < n; ++x) object_max = std::max(object_max, norm2(o[x]));
    }
    const float object_step = probe_max > 0 ? alpha / probe_max : 0.0f;
    for (std::size_t y = 0; y < n; ++y) {
      cfloat* o = s.object.data() + (static_cast<std::size_t>(p.row) + y) * nx + static_cast<std::size_t>(p.col);
      for (std::size_t x = 0; x < n; ++x) o[x] += object_step * std::conj(s.probe[y * n + x]) * corrected_[y * n + x];
    }
    if (options_.probe_refine && object_max > 0) {
      const float probe_step = beta / object_max;
      for (std::size_t k = 0; k < n2; ++k) s.probe[k] += probe_step * std::conj(window_[k]) * corrected_[k];
    }
  }
  record.cost = cost / problem_.total_intensity;
  record.fft_seconds = fft_seconds;
  record.seconds = since(start);
  s.history.push_back(record);
  ++s.iterations_done;
}

}  // namespace xpulse::ptycho
