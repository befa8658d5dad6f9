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
  corrected_.resize(problem.n * problem.n);
}

// The exit wave psi = P O at p into corrected_, on interleaved floats (frame_fft.h); returns the window's
// largest |O|^2.
float EpieEngine::exit_wave_at(const PtychoState& s, Position p) {
  const std::size_t n = problem_.n, nx = problem_.object_nx;
  float object_max = 0;
  for (std::size_t y = 0; y < n; ++y) {
    const float* o = floats(s.object.data() + (static_cast<std::size_t>(p.row) + y) * nx + p.col);
    const float* probe = floats(s.probe.data() + y * n);
    float* corrected = floats(corrected_.data() + y * n);
#pragma omp simd reduction(max : object_max)
    for (std::size_t x = 0; x < n; ++x) {
      object_max = std::max(object_max, o[2 * x] * o[2 * x] + o[2 * x + 1] * o[2 * x + 1]);
      const ComplexParts psi = product(probe, o, x);
      corrected[2 * x] = psi.re, corrected[2 * x + 1] = psi.im;
    }
  }
  return object_max;
}

// One pass: the object (and probe) at p move from the same psi' - psi (psi' in corrected_) and the old pair, as in
// ePIE; psi = P O is formed again from the old pair rather than kept (two fewer frame-sized streams through the
// cache). The object's step is rPIE's, alpha conj(P) / ((1 - r) |P|^2 + r max|P|^2) (engine.h); a zero probe
// moves nothing. Returns the probe's new largest |P|^2.
float EpieEngine::update_at(PtychoState& s, Position p, float probe_max, float object_max) {
  const std::size_t n = problem_.n, nx = problem_.object_nx;
  const auto alpha = static_cast<float>(options_.epie_object_step), r = static_cast<float>(options_.epie_regularisation);
  const float lit = probe_max > 0 ? 1 - r : 0.0f, floor = probe_max > 0 ? r * probe_max : 1.0f;
  const bool refine = options_.probe_refine && object_max > 0;
  const float probe_step = refine ? static_cast<float>(options_.epie_probe_step) / object_max : 0.0f;
  float next_probe_max = refine ? 0.0f : probe_max;
  for (std::size_t y = 0; y < n; ++y) {
    float* o = floats(s.object.data() + (static_cast<std::size_t>(p.row) + y) * nx + p.col);
    float* probe = floats(s.probe.data() + y * n);
    const float* corrected = floats(corrected_.data() + y * n);
    if (refine) {
#pragma omp simd reduction(max : next_probe_max)
      for (std::size_t x = 0; x < n; ++x) {
        const float pr = probe[2 * x], pi = probe[2 * x + 1], wr = o[2 * x], wi = o[2 * x + 1];
        const ComplexParts psi = product(probe, o, x);
        const float dr = corrected[2 * x] - psi.re, di = corrected[2 * x + 1] - psi.im;
        const float step = alpha / (lit * (pr * pr + pi * pi) + floor);
        o[2 * x] += step * (pr * dr + pi * di), o[2 * x + 1] += step * (pr * di - pi * dr);  // conj(P) d
        const float qr = pr + probe_step * (wr * dr + wi * di), qi = pi + probe_step * (wr * di - wi * dr);
        probe[2 * x] = qr, probe[2 * x + 1] = qi;
        next_probe_max = std::max(next_probe_max, qr * qr + qi * qi);
      }
    } else {
#pragma omp simd
      for (std::size_t x = 0; x < n; ++x) {
        const float pr = probe[2 * x], pi = probe[2 * x + 1];
        const ComplexParts psi = product(probe, o, x);
        const float dr = corrected[2 * x] - psi.re, di = corrected[2 * x + 1] - psi.im;
        const float step = alpha / (lit * (pr * pr + pi * pi) + floor);
        o[2 * x] += step * (pr * dr + pi * di), o[2 * x + 1] += step * (pr * di - pi * dr);
      }
    }
  }
  return next_probe_max;
}

void EpieEngine::iterate(PtychoState& s) {
  const auto start = Clock::now();
  const std::size_t n2 = problem_.n * problem_.n;
  IterationRecord record;
  record.iteration = s.iterations_done;
  std::vector<std::size_t> order(problem_.frames);
  std::iota(order.begin(), order.end(), std::size_t{0});
  sim::Xoshiro256 random(options_.seed, static_cast<std::uint64_t>(s.iterations_done));
  std::shuffle(order.begin(), order.end(), random);
  double cost = 0, fft_seconds = 0;
  float probe_max = 0;
  for (const cfloat& v : s.probe) probe_max = std::max(probe_max, norm2(v));
  for (const std::size_t j : order) {
    const Position p = problem_.positions[j];
    const float object_max = exit_wave_at(s, p);
    auto t = Clock::now();
    fft_.forward_unscaled(corrected_.data());  // the FFTs' 1/n is folded into the projection
    fft_seconds += since(t);
    cost += project_modulus(corrected_.data(), problem_.amplitude.data() + j * n2, problem_.weight.data(), n2, 0,
                            fft_.scale(), fft_.scale());
    t = Clock::now();
    fft_.backward_unscaled(corrected_.data());
    fft_seconds += since(t);
    probe_max = update_at(s, p, probe_max, object_max);
  }
  record.cost = cost / problem_.total_intensity;
  record.fft_seconds = fft_seconds;
  record.seconds = since(start);
  s.history.push_back(record);
  ++s.iterations_done;
}

}  // namespace xpulse::ptycho
