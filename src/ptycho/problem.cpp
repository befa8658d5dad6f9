#include "ptycho/problem.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::ptycho {
namespace {

constexpr std::size_t kBandRows = 16;  // rows per band of the deterministic sums

// sum[x] += conj(a[x]) b[x] for x < n, the product in float and the sum in double, on interleaved (re, im) values
// so that it vectorises (std::complex's operators do not).
inline void add_conj_product(const cfloat* a, const cfloat* b, cdouble* sum, std::size_t n) {
  const float* af = reinterpret_cast<const float*>(a);
  const float* bf = reinterpret_cast<const float*>(b);
  double* s = reinterpret_cast<double*>(sum);
#pragma omp simd
  for (std::size_t x = 0; x < n; ++x) {
    const float ar = af[2 * x], ai = af[2 * x + 1], br = bf[2 * x], bi = bf[2 * x + 1];
    s[2 * x] += static_cast<double>(ar * br + ai * bi);
    s[2 * x + 1] += static_cast<double>(ar * bi - ai * br);
  }
}

// power[x] += |a[x]|^2 for x < n, in double.
inline void add_power(const cfloat* a, double* power, std::size_t n) {
  const float* af = reinterpret_cast<const float*>(a);
#pragma omp simd
  for (std::size_t x = 0; x < n; ++x) {
    power[x] += static_cast<double>(af[2 * x] * af[2 * x] + af[2 * x + 1] * af[2 * x + 1]);
  }
}

}  // namespace

void detector_to_fft_order(const float* in, float* out, std::size_t n) {
  const std::size_t h = n / 2;
  for (std::size_t y = 0; y < n; ++y) {
    const std::size_t fy = (y + n - h) % n;
    for (std::size_t x = 0; x < n; ++x) out[fy * n + (x + n - h) % n] = in[y * n + x];
  }
}

void fft_to_detector_order(const float* in, float* out, std::size_t n) {
  const std::size_t h = n / 2;
  for (std::size_t y = 0; y < n; ++y) {
    const std::size_t fy = (y + n - h) % n;
    for (std::size_t x = 0; x < n; ++x) out[y * n + x] = in[fy * n + (x + n - h) % n];
  }
}

namespace {

void check_shape(std::size_t frames, std::size_t n, std::span<const std::uint8_t> mask,
                 const std::vector<Position>& positions, std::size_t object_ny, std::size_t object_nx) {
  if (frames == 0) throw InputError("the ptychography data has no frames");
  if (n < 2) throw InputError(fmt::format("frames of {}x{} pixels are too small", n, n));
  if (positions.size() != frames) {
    throw InputError(fmt::format("{} scan positions for {} frames", positions.size(), frames));
  }
  if (!mask.empty() && mask.size() != n * n) throw InputError("the detector mask does not have the frames' shape");
  if (object_ny < n || object_nx < n) {
    throw InputError(fmt::format("the object ({}x{}) is smaller than a frame ({}x{})", object_ny, object_nx, n, n));
  }
  for (std::size_t j = 0; j < frames; ++j) {
    const Position q = positions[j];
    if (q.row < 0 || q.col < 0 || static_cast<std::size_t>(q.row) + n > object_ny ||
        static_cast<std::size_t>(q.col) + n > object_nx) {
      throw InputError(fmt::format("scan position {} puts its {}x{} window at ({}, {}), outside the {}x{} object", j,
                                   n, n, q.row, q.col, object_ny, object_nx));
    }
  }
}

PtychoProblem empty_problem(std::size_t frames, std::size_t n, std::span<const std::uint8_t> mask,
                            std::vector<Position> positions, std::size_t object_ny, std::size_t object_nx) {
  check_shape(frames, n, mask, positions, object_ny, object_nx);
  PtychoProblem p;
  p.n = n, p.frames = frames, p.object_ny = object_ny, p.object_nx = object_nx;
  p.positions = std::move(positions);
  std::vector<float> good(n * n, 1.0f);
  if (!mask.empty()) {
    for (std::size_t k = 0; k < n * n; ++k) good[k] = mask[k] ? 0.0f : 1.0f;
  }
  p.weight.resize(n * n);
  detector_to_fft_order(good.data(), p.weight.data(), n);
  return p;
}

// Frames in detector order to FFT order, masked and clipped, with their amplitudes; adds their intensities to
// `total` in frame and pixel order (one running sum, so that blocks add up to the same bits as all at once).
void prepare_frames(const float* frames, std::size_t first, std::size_t count, std::size_t n,
                    const std::vector<float>& weight, float* intensity, float* amplitude, double& total) {
  const std::size_t pixels = n * n;
  std::vector<float> good(pixels);
  fft_to_detector_order(weight.data(), good.data(), n);
  for (std::size_t j = 0; j < count; ++j) {
    const float* frame = frames + j * pixels;
    for (std::size_t k = 0; k < pixels; ++k) {
      if (!std::isfinite(frame[k]) && good[k] > 0) {
        throw InputError(fmt::format("frame {} pixel ({}, {}) holds {}", first + j, k / n, k % n, frame[k]));
      }
    }
    float* out = intensity + j * pixels;
    detector_to_fft_order(frame, out, n);
    for (std::size_t k = 0; k < pixels; ++k) {
      out[k] = weight[k] > 0 ? std::max(out[k], 0.0f) : 0.0f;
      amplitude[j * pixels + k] = std::sqrt(out[k]);
      total += out[k];
    }
  }
}

}  // namespace

PtychoProblem make_problem(std::span<const float> intensities, std::size_t frames, std::size_t n,
                           std::span<const std::uint8_t> mask, std::vector<Position> positions,
                           std::size_t object_ny, std::size_t object_nx) {
  if (frames > 0 && n >= 2 && intensities.size() != frames * n * n) {
    throw InputError("the intensities do not hold frames x n x n values");
  }
  PtychoProblem p = empty_problem(frames, n, mask, std::move(positions), object_ny, object_nx);
  p.intensity.resize(frames * n * n);
  p.amplitude.resize(frames * n * n);
  prepare_frames(intensities.data(), 0, frames, n, p.weight, p.intensity.data(), p.amplitude.data(),
                 p.total_intensity);
  return p;
}

PtychoProblem make_streamed_problem(std::shared_ptr<FrameSource> source, std::size_t frames, std::size_t n,
                                    std::span<const std::uint8_t> mask, std::vector<Position> positions,
                                    std::size_t object_ny, std::size_t object_nx, std::size_t block) {
  PtychoProblem p = empty_problem(frames, n, mask, std::move(positions), object_ny, object_nx);
  p.source = std::move(source);
  std::vector<float> raw(std::min(block, frames) * n * n), intensity(raw.size()), amplitude(raw.size());
  for (std::size_t first = 0; first < frames; first += block) {
    const std::size_t count = std::min(block, frames - first);
    p.source->load(first, count, raw.data());
    prepare_frames(raw.data(), first, count, n, p.weight, intensity.data(), amplitude.data(), p.total_intensity);
  }
  return p;
}

FrameBlock::FrameBlock(const PtychoProblem& problem, std::size_t first, std::size_t count)
    : problem_(problem), first_(first) {
  if (!problem.streamed()) return;
  const std::size_t pixels = problem.n * problem.n;
  std::vector<float> raw(count * pixels);
  problem.source->load(first, count, raw.data());
  intensity_.resize(raw.size()), amplitude_.resize(raw.size());
  double total = 0;
  prepare_frames(raw.data(), first, count, problem.n, problem.weight, intensity_.data(), amplitude_.data(), total);
}

const float* FrameBlock::intensity(std::size_t frame) const {
  const std::size_t pixels = problem_.n * problem_.n;
  if (problem_.streamed()) return intensity_.data() + (frame - first_) * pixels;
  return problem_.intensity.data() + frame * pixels;
}

const float* FrameBlock::amplitude(std::size_t frame) const {
  const std::size_t pixels = problem_.n * problem_.n;
  if (problem_.streamed()) return amplitude_.data() + (frame - first_) * pixels;
  return problem_.amplitude.data() + frame * pixels;
}

void exit_wave(const cfloat* object, std::size_t object_nx, const cfloat* probe, std::size_t n, Position p,
               cfloat* psi) {
  for (std::size_t y = 0; y < n; ++y) {
    const float* o = floats(object + (static_cast<std::size_t>(p.row) + y) * object_nx + p.col);
    const float* pr = floats(probe + y * n);
    float* out = floats(psi + y * n);
#pragma omp simd
    for (std::size_t x = 0; x < n; ++x) {
      const ComplexParts w = product(pr, o, x);
      out[2 * x] = w.re, out[2 * x + 1] = w.im;
    }
  }
}

void add_to_object(const cfloat* frames, std::size_t first, std::size_t count, const PtychoProblem& problem,
                   const cfloat* probe, cdouble* object_sum, double* illumination, runtime::ThreadPool& pool) {
  const std::size_t n = problem.n, nx = problem.object_nx;
  const std::size_t bands = (problem.object_ny + kBandRows - 1) / kBandRows;
  pool.parallel_for(bands, [&](std::size_t band, unsigned) {
    const std::size_t top = band * kBandRows, bottom = std::min(problem.object_ny, top + kBandRows);
    for (std::size_t i = 0; i < count; ++i) {
      const Position p = problem.positions[first + i];
      const std::size_t row0 = static_cast<std::size_t>(p.row), col0 = static_cast<std::size_t>(p.col);
      const std::size_t from = std::max(top, row0), to = std::min(bottom, row0 + n);
      const cfloat* frame = frames + i * n * n;
      for (std::size_t r = from; r < to; ++r) {
        const std::size_t y = r - row0;
        add_conj_product(probe + y * n, frame + y * n, object_sum + r * nx + col0, n);
        if (illumination) add_power(probe + y * n, illumination + r * nx + col0, n);
      }
    }
  });
}

void add_to_probe(const cfloat* frames, std::size_t first, std::size_t count, const PtychoProblem& problem,
                  const cfloat* object, cdouble* probe_sum, double* object_power, runtime::ThreadPool& pool) {
  const std::size_t n = problem.n, nx = problem.object_nx;
  const std::size_t bands = (n + kBandRows - 1) / kBandRows;
  pool.parallel_for(bands, [&](std::size_t band, unsigned) {
    const std::size_t top = band * kBandRows, bottom = std::min(n, top + kBandRows);
    for (std::size_t i = 0; i < count; ++i) {
      const Position p = problem.positions[first + i];
      const cfloat* frame = frames + i * n * n;
      for (std::size_t y = top; y < bottom; ++y) {
        const cfloat* o = object + (static_cast<std::size_t>(p.row) + y) * nx + static_cast<std::size_t>(p.col);
        add_conj_product(o, frame + y * n, probe_sum + y * n, n);
        if (object_power) add_power(o, object_power + y * n, n);
      }
    }
  });
}

void add_illumination(const PtychoProblem& problem, const cfloat* probe, double* illumination,
                      runtime::ThreadPool& pool) {
  const std::size_t n = problem.n, nx = problem.object_nx;
  const std::size_t bands = (problem.object_ny + kBandRows - 1) / kBandRows;
  pool.parallel_for(bands, [&](std::size_t band, unsigned) {
    const std::size_t top = band * kBandRows, bottom = std::min(problem.object_ny, top + kBandRows);
    for (const Position& p : problem.positions) {
      const std::size_t row0 = static_cast<std::size_t>(p.row), col0 = static_cast<std::size_t>(p.col);
      for (std::size_t r = std::max(top, row0); r < std::min(bottom, row0 + n); ++r) {
        add_power(probe + (r - row0) * n, illumination + r * nx + col0, n);
      }
    }
  });
}

void add_object_power(const PtychoProblem& problem, const cfloat* object, double* power, runtime::ThreadPool& pool) {
  const std::size_t n = problem.n, nx = problem.object_nx;
  const std::size_t bands = (n + kBandRows - 1) / kBandRows;
  pool.parallel_for(bands, [&](std::size_t band, unsigned) {
    const std::size_t top = band * kBandRows, bottom = std::min(n, top + kBandRows);
    for (const Position& p : problem.positions) {
      for (std::size_t y = top; y < bottom; ++y) {
        const cfloat* o = object + (static_cast<std::size_t>(p.row) + y) * nx + static_cast<std::size_t>(p.col);
        add_power(o, power + y * n, n);
      }
    }
  });
}

}  // namespace xpulse::ptycho
