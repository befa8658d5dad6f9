#include <algorithm>
#include <chrono>
#include <cmath>

#include "ptycho/far_field.h"
#include "ptycho/ml_frames.h"

namespace xpulse::ptycho {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double sum_in_order(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

// The window of a frame on an object-sized array.
const cfloat* window_row(const std::vector<cfloat>& object, std::size_t nx, Position p, std::size_t y) {
  return object.data() + (static_cast<std::size_t>(p.row) + y) * nx + static_cast<std::size_t>(p.col);
}

// Each frame is handled while it is in cache: its far field A (kept for the curvature), chi and the inverse FFT,
// then the batch's sums onto the grids in frame order (problem.h), so the bits do not depend on the threads.
class CpuMlFrames : public MlFrames {
 public:
  CpuMlFrames(const PtychoProblem& problem, const EngineOptions& options, runtime::ThreadPool& pool)
      : problem_(problem), options_(options), pool_(pool), fft_(problem.n) {
    fft_seconds_.assign(pool.size(), 0.0);
    work_.assign(pool.size(), std::vector<cfloat>(2 * problem.n * problem.n));
  }
  double gradient(const PtychoState& s, std::vector<cdouble>& g_object, std::vector<cdouble>& g_probe) override;
  double curvature(const PtychoState& s, const std::vector<cfloat>& d_object,
                   const std::vector<cfloat>& d_probe) override;
  double take_fft_seconds() override {
    const double total = sum_in_order(fft_seconds_);
    std::fill(fft_seconds_.begin(), fft_seconds_.end(), 0.0);
    return total;
  }

 private:
  double frame_cost(const float* data, cfloat* psi, cfloat* chi, float scale) const;
  double frame_curvature(const PtychoState& s, const std::vector<cfloat>& d_object, const std::vector<cfloat>& d_probe,
                         std::size_t j, const cfloat* a, const float* data, unsigned worker);

  const PtychoProblem& problem_;
  EngineOptions options_;
  runtime::ThreadPool& pool_;
  FrameFft fft_;
  AlignedFrames a_;                              // far fields F(P O_j) [frames][n * n] (in memory)
  AlignedFrames a_block_;                        // streamed: those of one batch, recomputed when needed
  std::vector<std::vector<cfloat>> work_;        // per thread: B and C
  std::vector<cfloat> chi_;                      // a batch's chi, then its inverse FFTs
  std::vector<double> fft_seconds_;              // per thread
};

// data: the frame's amplitudes (Gaussian) or intensities (Poisson). psi holds the far field divided by `scale`
// (an unscaled FFT) and is scaled in place; chi is written times `scale`, ready for an unscaled inverse FFT.
double CpuMlFrames::frame_cost(const float* data, cfloat* psi, cfloat* chi, float scale) const {
  const std::size_t n2 = problem_.n * problem_.n;
  const float* w = problem_.weight.data();
  double cost = 0;
  // Branch-free over the mask (w is 0 or 1), and one loop per likelihood with its cost inlined, so that both
  // vectorise (a shared loop over a passed-in cost function ran three times slower).
  // On interleaved floats (frame_fft.h).
  float* p = floats(psi);
  float* x = floats(chi);
  if (options_.noise == NoiseModel::gaussian) {
    const float* a = data;
#pragma omp simd reduction(+ : cost)
    for (std::size_t k = 0; k < n2; ++k) {
      const float re = scale * p[2 * k], im = scale * p[2 * k + 1];
      p[2 * k] = re, p[2 * k + 1] = im;
      float factor;
      const float f = gaussian_cost(re, im, a[k], factor);
      factor *= w[k] * scale;
      x[2 * k] = factor * re, x[2 * k + 1] = factor * im;
      cost += static_cast<double>(w[k] * f);
    }
  } else {
    const float* d = data;
#pragma omp simd reduction(+ : cost)
    for (std::size_t k = 0; k < n2; ++k) {
      const float re = scale * p[2 * k], im = scale * p[2 * k + 1];
      p[2 * k] = re, p[2 * k + 1] = im;
      float factor;
      const float f = poisson_cost(re, im, d[k], factor);
      factor *= w[k] * scale;
      x[2 * k] = factor * re, x[2 * k + 1] = factor * im;
      cost += static_cast<double>(w[k] * f);
    }
  }
  return cost;
}

double CpuMlFrames::gradient(const PtychoState& s, std::vector<cdouble>& g_object, std::vector<cdouble>& g_probe) {
  const std::size_t n = problem_.n, n2 = n * n;
  const bool probe = options_.probe_refine, poisson = options_.noise == NoiseModel::poisson;
  const bool streamed = problem_.streamed();
  (streamed ? a_block_ : a_).resize((streamed ? std::min(options_.batch, problem_.frames) : problem_.frames) * n2);
  g_object.assign(s.object.size(), cdouble(0, 0));
  g_probe.assign(n2, cdouble(0, 0));
  std::vector<double> cost(problem_.frames, 0.0);
  std::vector<cfloat>& batch = chi_;
  batch.resize(std::min(options_.batch, problem_.frames) * n2);
  for (std::size_t first = 0; first < problem_.frames; first += options_.batch) {
    const std::size_t count = std::min(options_.batch, problem_.frames - first);
    const FrameBlock data(problem_, first, count);
    pool_.parallel_for(count, [&](std::size_t i, unsigned worker) {
      const std::size_t j = first + i;
      cfloat* a = streamed ? a_block_.data() + i * n2 : a_.data() + j * n2;
      exit_wave(s.object.data(), problem_.object_nx, s.probe.data(), n, problem_.positions[j], a);
      cfloat* chi = batch.data() + i * n2;
      auto t = Clock::now();
      fft_.forward_unscaled(a);
      fft_seconds_[worker] += since(t);
      cost[j] = frame_cost(poisson ? data.intensity(j) : data.amplitude(j), a, chi, fft_.scale());
      t = Clock::now();
      fft_.backward_unscaled(chi);
      fft_seconds_[worker] += since(t);
    });
    add_to_object(batch.data(), first, count, problem_, s.probe.data(), g_object.data(), nullptr, pool_);
    if (probe) add_to_probe(batch.data(), first, count, problem_, s.object.data(), g_probe.data(), nullptr, pool_);
  }
  return sum_in_order(cost);
}

double CpuMlFrames::curvature(const PtychoState& s, const std::vector<cfloat>& d_object,
                              const std::vector<cfloat>& d_probe) {
  const std::size_t n = problem_.n, n2 = n * n;
  const bool poisson = options_.noise == NoiseModel::poisson;
  std::vector<double> curvature(problem_.frames, 0.0);
  if (!problem_.streamed()) {
    const FrameBlock data(problem_, 0, problem_.frames);
    pool_.parallel_for(problem_.frames, [&](std::size_t j, unsigned worker) {
      curvature[j] = frame_curvature(s, d_object, d_probe, j, a_.data() + j * n2,
                                     poisson ? data.intensity(j) : data.amplitude(j), worker);
    });
    return sum_in_order(curvature);
  }
  // Streamed: the far fields A of each batch again (the same FFT of the same exit waves as gradient()'s).
  for (std::size_t first = 0; first < problem_.frames; first += options_.batch) {
    const std::size_t count = std::min(options_.batch, problem_.frames - first);
    const FrameBlock data(problem_, first, count);
    pool_.parallel_for(count, [&](std::size_t i, unsigned worker) {
      const std::size_t j = first + i;
      cfloat* a = a_block_.data() + i * n2;
      exit_wave(s.object.data(), problem_.object_nx, s.probe.data(), n, problem_.positions[j], a);
      const auto t = Clock::now();
      fft_.forward(a);
      fft_seconds_[worker] += since(t);
      curvature[j] = frame_curvature(s, d_object, d_probe, j, a, poisson ? data.intensity(j) : data.amplitude(j),
                                     worker);
    });
  }
  return sum_in_order(curvature);
}

// phi''(0) of frame j along (d_object, d_probe), from its far field a = F(P O_j).
double CpuMlFrames::frame_curvature(const PtychoState& s, const std::vector<cfloat>& d_object,
                                    const std::vector<cfloat>& d_probe, std::size_t j, const cfloat* a,
                                    const float* data, unsigned worker) {
  const std::size_t n = problem_.n, n2 = n * n, nx = problem_.object_nx;
  const bool probe = options_.probe_refine, poisson = options_.noise == NoiseModel::poisson;
  const Position p = problem_.positions[j];
  cfloat* b = work_[worker].data();
  cfloat* c = b + n2;
  // B = P dO + dP O and C = dP dO, on interleaved floats (frame_fft.h) so that the loops vectorise.
  for (std::size_t y = 0; y < n; ++y) {
    const float* o = floats(window_row(s.object, nx, p, y));
    const float* d_o = floats(window_row(d_object, nx, p, y));
    const float* pr = floats(s.probe.data() + y * n);
    const float* d_p = floats(d_probe.data() + y * n);
    float* by = floats(b + y * n);
    float* cy = floats(c + y * n);
    if (probe) {
#pragma omp simd
      for (std::size_t x = 0; x < n; ++x) {
        const ComplexParts p_do = product(pr, d_o, x), dp_o = product(d_p, o, x), dp_do = product(d_p, d_o, x);
        by[2 * x] = p_do.re + dp_o.re, by[2 * x + 1] = p_do.im + dp_o.im;
        cy[2 * x] = dp_do.re, cy[2 * x + 1] = dp_do.im;
      }
    } else {
#pragma omp simd
      for (std::size_t x = 0; x < n; ++x) {
        const ComplexParts p_do = product(pr, d_o, x);
        by[2 * x] = p_do.re, by[2 * x + 1] = p_do.im;
      }
    }
  }
  const auto t = Clock::now();
  fft_.forward_unscaled(b);  // the 1/n is applied in the sums below
  if (probe) fft_.forward_unscaled(c);
  fft_seconds_[worker] += since(t);
  // The cost's second derivative along the line at step 0 (Psi' = B, Psi'' = 2 C), exact and Gauss-Newton.
  const float* w = problem_.weight.data();
  const float scale = fft_.scale();
  double exact = 0, gauss_newton = 0;
#pragma omp simd reduction(+ : exact, gauss_newton)
  for (std::size_t k = 0; k < n2; ++k) {
    const float bb = scale * scale * norm2(b[k]);
    const float ab = scale * (a[k].real() * b[k].real() + a[k].imag() * b[k].imag());
    const float ac = probe ? scale * (a[k].real() * c[k].real() + a[k].imag() * c[k].imag()) : 0.0f;
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
  return std::max(exact, gauss_newton);
}

}  // namespace

std::unique_ptr<MlFrames> cpu_ml_frames(const PtychoProblem& problem, const EngineOptions& options,
                                        runtime::ThreadPool& pool) {
  return std::make_unique<CpuMlFrames>(problem, options, pool);
}

}  // namespace xpulse::ptycho
