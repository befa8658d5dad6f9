#include "ptycho/object_score.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <fftw3.h>
#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::ptycho {
namespace {

using cdouble = std::complex<double>;

struct Box {
  std::size_t top = 0, left = 0, height = 0, width = 0;
};

Box bounding_box(const std::vector<std::uint8_t>& region, std::size_t ny, std::size_t nx) {
  std::size_t top = ny, bottom = 0, left = nx, right = 0;
  for (std::size_t y = 0; y < ny; ++y)
    for (std::size_t x = 0; x < nx; ++x)
      if (region[y * nx + x]) top = std::min(top, y), bottom = std::max(bottom, y), left = std::min(left, x),
                              right = std::max(right, x);
  return {top, left, bottom - top + 1, right - left + 1};
}

// |sum r exp(-i (a y + b x))| over the region (y, x relative to the box).
double ramp_match(const std::vector<cdouble>& r, const Box& box, double a, double b) {
  cdouble s = 0;
  for (std::size_t y = 0; y < box.height; ++y) {
    const cdouble row = std::polar(1.0, -a * static_cast<double>(y));
    cdouble acc = 0;
    for (std::size_t x = 0; x < box.width; ++x) {
      const cdouble v = r[y * box.width + x];
      if (v != cdouble(0, 0)) acc += v * std::polar(1.0, -b * static_cast<double>(x));
    }
    s += row * acc;
  }
  return std::abs(s);
}

// Coarse ramp from the peak of the zero-padded 2D DFT of r, then a pattern search.
void fit_ramp(const std::vector<cdouble>& r, const Box& box, double& a, double& b) {
  const std::size_t h = 2 * box.height, w = 2 * box.width;
  std::vector<cdouble> grid(h * w, 0.0);
  for (std::size_t y = 0; y < box.height; ++y)
    for (std::size_t x = 0; x < box.width; ++x) grid[y * w + x] = r[y * box.width + x];
  auto* data = reinterpret_cast<fftw_complex*>(grid.data());
  fftw_plan plan = fftw_plan_dft_2d(static_cast<int>(h), static_cast<int>(w), data, data, FFTW_FORWARD, FFTW_ESTIMATE);
  fftw_execute(plan);
  fftw_destroy_plan(plan);
  std::size_t best = 0;
  for (std::size_t k = 1; k < grid.size(); ++k)
    if (std::abs(grid[k]) > std::abs(grid[best])) best = k;
  const auto frequency = [](std::size_t i, std::size_t n) {
    const double f = static_cast<double>(i) - (i < (n + 1) / 2 ? 0.0 : static_cast<double>(n));
    return 2 * M_PI * f / static_cast<double>(n);
  };
  a = frequency(best / w, h), b = frequency(best % w, w);
  double step_a = M_PI / static_cast<double>(h), step_b = M_PI / static_cast<double>(w);
  double value = ramp_match(r, box, a, b);
  for (int i = 0; i < 40 && (step_a > 1e-7 || step_b > 1e-7); ++i) {
    bool moved = false;
    for (const auto& [da, db] : {std::pair{step_a, 0.0}, {-step_a, 0.0}, {0.0, step_b}, {0.0, -step_b}}) {
      const double v = ramp_match(r, box, a + da, b + db);
      if (v > value) value = v, a += da, b += db, moved = true;
    }
    if (!moved) step_a *= 0.5, step_b *= 0.5;
  }
}

// Separable Gaussian filter (sigma 1.5, 11 taps), edges replicated.
std::vector<double> gaussian_filter(const std::vector<double>& in, std::size_t h, std::size_t w) {
  constexpr int kRadius = 5;
  double taps[2 * kRadius + 1], total = 0;
  for (int i = -kRadius; i <= kRadius; ++i) total += taps[i + kRadius] = std::exp(-i * i / (2 * 1.5 * 1.5));
  for (double& t : taps) t /= total;
  std::vector<double> rows(in.size()), out(in.size());
  const auto clampi = [](long i, std::size_t n) { return static_cast<std::size_t>(std::clamp(i, 0L, static_cast<long>(n) - 1)); };
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x) {
      double s = 0;
      for (int i = -kRadius; i <= kRadius; ++i) s += taps[i + kRadius] * in[y * w + clampi(static_cast<long>(x) + i, w)];
      rows[y * w + x] = s;
    }
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x) {
      double s = 0;
      for (int i = -kRadius; i <= kRadius; ++i) s += taps[i + kRadius] * rows[clampi(static_cast<long>(y) + i, h) * w + x];
      out[y * w + x] = s;
    }
  return out;
}

// The best complex factor, after the best linear phase ramp when asked: fills s.factor, s.ramp, s.corrected.
void fit_factor_and_ramp(const std::vector<cfloat>& recon, const std::vector<cfloat>& truth,
                         const std::vector<std::uint8_t>& region, std::size_t ny, std::size_t nx, const Box& box,
                         bool remove_ramp, ObjectScore& s) {
  std::vector<cdouble> r(box.height * box.width, 0.0);
  for (std::size_t y = 0; y < box.height; ++y)
    for (std::size_t x = 0; x < box.width; ++x) {
      const std::size_t k = (box.top + y) * nx + box.left + x;
      if (region[k]) r[y * box.width + x] = cdouble(truth[k]) * std::conj(cdouble(recon[k]));
    }
  s.ramp[0] = s.ramp[1] = 0;
  if (remove_ramp) fit_ramp(r, box, s.ramp[0], s.ramp[1]);
  // The ramp in the object's own coordinates, then the best complex factor.
  s.corrected.resize(recon.size());
  cdouble cross = 0;
  double power = 0;
  for (std::size_t y = 0; y < ny; ++y)
    for (std::size_t x = 0; x < nx; ++x) {
      const std::size_t k = y * nx + x;
      const double phase = s.ramp[0] * (static_cast<double>(y) - static_cast<double>(box.top)) +
                           s.ramp[1] * (static_cast<double>(x) - static_cast<double>(box.left));
      const cdouble v = cdouble(recon[k]) * std::polar(1.0, phase);
      s.corrected[k] = cfloat(v);
      if (!region[k]) continue;
      cross += std::conj(v) * cdouble(truth[k]);
      power += std::norm(v);
    }
  s.factor = power > 0 ? cross / power : cdouble(1, 0);
  for (auto& v : s.corrected) v = cfloat(s.factor * cdouble(v));
}

// The phase of the fitted ramp at pixel (y, x).
double ramp_phase(const ObjectScore& s, const Box& box, std::size_t y, std::size_t x) {
  return s.ramp[0] * (static_cast<double>(y) - static_cast<double>(box.top)) +
         s.ramp[1] * (static_cast<double>(x) - static_cast<double>(box.left));
}

// Signed frequency of index i of an n-point DFT, in cycles per sample.
double cycles(std::size_t i, std::size_t n) {
  return (static_cast<double>(i) - (i < (n + 1) / 2 ? 0.0 : static_cast<double>(n))) / static_cast<double>(n);
}

void fft_2d(std::vector<cdouble>& grid, std::size_t h, std::size_t w, int sign) {
  auto* data = reinterpret_cast<fftw_complex*>(grid.data());
  fftw_plan plan = fftw_plan_dft_2d(static_cast<int>(h), static_cast<int>(w), data, data, sign, FFTW_ESTIMATE);
  fftw_execute(plan);
  fftw_destroy_plan(plan);
}

// The translation (rows, columns) that moves `recon` onto `truth` over the region: the peak of their
// cross-correlation (mean removed, zero-padded 2x) within a quarter of the region's box, refined to 1e-3 pixel by
// a pattern search on the correlation evaluated as a sum over frequencies (Guizar-Sicairos et al. 2008's idea).
std::pair<double, double> estimate_translation(const std::vector<cfloat>& recon, const std::vector<cfloat>& truth,
                                               const std::vector<std::uint8_t>& region, std::size_t nx,
                                               const Box& box) {
  const std::size_t h = 2 * box.height, w = 2 * box.width;
  cdouble mean_t = 0, mean_r = 0;
  double count = 0;
  for (std::size_t y = 0; y < box.height; ++y)
    for (std::size_t x = 0; x < box.width; ++x) {
      const std::size_t k = (box.top + y) * nx + box.left + x;
      if (region[k]) mean_t += cdouble(truth[k]), mean_r += cdouble(recon[k]), count += 1;
    }
  mean_t /= count, mean_r /= count;
  std::vector<cdouble> t(h * w, 0.0), r(h * w, 0.0);
  for (std::size_t y = 0; y < box.height; ++y)
    for (std::size_t x = 0; x < box.width; ++x) {
      const std::size_t k = (box.top + y) * nx + box.left + x;
      if (!region[k]) continue;
      t[y * w + x] = cdouble(truth[k]) - mean_t;
      r[y * w + x] = cdouble(recon[k]) - mean_r;
    }
  fft_2d(t, h, w, FFTW_FORWARD);
  fft_2d(r, h, w, FFTW_FORWARD);
  std::vector<cdouble> spectrum(h * w);  // of the correlation c(s) = sum_x t(x) conj(r(x - s))
  for (std::size_t k = 0; k < spectrum.size(); ++k) spectrum[k] = t[k] * std::conj(r[k]);
  std::vector<cdouble> correlation = spectrum;
  fft_2d(correlation, h, w, FFTW_BACKWARD);
  const double reach_y = static_cast<double>(box.height) / 4, reach_x = static_cast<double>(box.width) / 4;
  double sy = 0, sx = 0, best = -1;
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x) {
      const double dy = cycles(y, h) * static_cast<double>(h), dx = cycles(x, w) * static_cast<double>(w);
      if (std::abs(dy) > reach_y || std::abs(dx) > reach_x) continue;
      const double v = std::abs(correlation[y * w + x]);
      if (v > best) best = v, sy = dy, sx = dx;
    }
  const auto value = [&](double ty, double tx) {
    std::vector<cdouble> row(w);
    for (std::size_t x = 0; x < w; ++x) row[x] = std::polar(1.0, 2 * M_PI * cycles(x, w) * tx);
    cdouble sum = 0;
    for (std::size_t y = 0; y < h; ++y) {
      cdouble acc = 0;
      for (std::size_t x = 0; x < w; ++x) acc += spectrum[y * w + x] * row[x];
      sum += acc * std::polar(1.0, 2 * M_PI * cycles(y, h) * ty);
    }
    return std::abs(sum);
  };
  double step = 0.5, here = value(sy, sx);
  while (step > 1e-3) {
    bool moved = false;
    for (const auto& [dy, dx] : {std::pair{step, 0.0}, {-step, 0.0}, {0.0, step}, {0.0, -step}}) {
      const double v = value(sy + dy, sx + dx);
      if (v > here) here = v, sy += dy, sx += dx, moved = true;
    }
    if (!moved) step *= 0.5;
  }
  return {sy, sx};
}

// out(y, x) = in(y - dy, x - dx) by the Fourier shift theorem (periodic; sub-pixel shifts interpolate).
std::vector<cfloat> shift_image(const std::vector<cfloat>& in, std::size_t ny, std::size_t nx, double dy, double dx) {
  std::vector<cdouble> grid(in.begin(), in.end());
  fft_2d(grid, ny, nx, FFTW_FORWARD);
  for (std::size_t y = 0; y < ny; ++y) {
    const cdouble row = std::polar(1.0, -2 * M_PI * cycles(y, ny) * dy);
    for (std::size_t x = 0; x < nx; ++x) grid[y * nx + x] *= row * std::polar(1.0, -2 * M_PI * cycles(x, nx) * dx);
  }
  fft_2d(grid, ny, nx, FFTW_BACKWARD);
  std::vector<cfloat> out(in.size());
  const double scale = 1.0 / static_cast<double>(ny * nx);
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = cfloat(grid[k] * scale);
  return out;
}

// SSIM of the phases over the region (the reconstruction's relative to the truth's, so no wrapping; outside the
// region both take the truth's phase).
double phase_ssim(const std::vector<cfloat>& corrected, const std::vector<cfloat>& truth,
                  const std::vector<std::uint8_t>& region, std::size_t nx, const Box& box, std::size_t pixels) {
  const std::size_t h = box.height, w = box.width;
  std::vector<double> p1(h * w), p2(h * w);
  double low = INFINITY, high = -INFINITY;
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x) {
      const std::size_t k = (box.top + y) * nx + box.left + x;
      p2[y * w + x] = std::arg(cdouble(truth[k]));
      p1[y * w + x] = region[k] ? p2[y * w + x] + std::arg(cdouble(corrected[k]) * std::conj(cdouble(truth[k])))
                                : p2[y * w + x];
      if (region[k]) low = std::min(low, p2[y * w + x]), high = std::max(high, p2[y * w + x]);
    }
  const double range = high > low ? high - low : 1.0;
  const double c1 = (0.01 * range) * (0.01 * range), c2 = (0.03 * range) * (0.03 * range);
  std::vector<double> p11(h * w), p22(h * w), p12(h * w);
  for (std::size_t k = 0; k < h * w; ++k) p11[k] = p1[k] * p1[k], p22[k] = p2[k] * p2[k], p12[k] = p1[k] * p2[k];
  const auto m1 = gaussian_filter(p1, h, w), m2 = gaussian_filter(p2, h, w), s11 = gaussian_filter(p11, h, w),
             s22 = gaussian_filter(p22, h, w), s12 = gaussian_filter(p12, h, w);
  double total = 0;
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x) {
      const std::size_t i = y * w + x;
      if (!region[(box.top + y) * nx + box.left + x]) continue;
      const double v1 = s11[i] - m1[i] * m1[i], v2 = s22[i] - m2[i] * m2[i], cov = s12[i] - m1[i] * m2[i];
      total += ((2 * m1[i] * m2[i] + c1) * (2 * cov + c2)) / ((m1[i] * m1[i] + m2[i] * m2[i] + c1) * (v1 + v2 + c2));
    }
  return total / static_cast<double>(pixels);
}

}  // namespace

ObjectScore score_object(const std::vector<cfloat>& recon, const std::vector<cfloat>& truth,
                         const std::vector<std::uint8_t>& region, std::size_t ny, std::size_t nx, bool remove_ramp,
                         bool remove_shift) {
  if (recon.size() != ny * nx || truth.size() != ny * nx || region.size() != ny * nx) {
    throw InvalidArgument("the reconstruction, truth and region must share one grid");
  }
  ObjectScore s;
  for (auto v : region) s.pixels += v ? 1 : 0;
  if (s.pixels == 0) throw InputError("no pixel of the object is illuminated");
  for (std::size_t k = 0; k < recon.size(); ++k) {
    if (region[k] && !std::isfinite(std::abs(recon[k]))) {
      throw InputError(fmt::format("the reconstruction holds a non-finite value at ({}, {})", k / nx, k % nx));
    }
  }
  const Box box = bounding_box(region, ny, nx);
  if (remove_shift) {
    // The translation is found after a first factor and ramp (a ramp blurs the correlation), then those are
    // fitted again on the shifted reconstruction.
    // The correlation's peak is biased by the region's edges (the moved reconstruction leaves it); the residual
    // after the factor is minimised from there by a pattern search.
    fit_factor_and_ramp(recon, truth, region, ny, nx, box, remove_ramp, s);
    std::tie(s.shift[0], s.shift[1]) = estimate_translation(s.corrected, truth, region, nx, box);
    const auto residual = [&](double dy, double dx) {
      std::vector<cfloat> moved = shift_image(recon, ny, nx, dy, dx);
      for (std::size_t k = 0; k < moved.size(); ++k) {
        moved[k] = cfloat(cdouble(moved[k]) * std::polar(1.0, ramp_phase(s, box, k / nx, k % nx)));
      }
      ObjectScore trial;
      fit_factor_and_ramp(moved, truth, region, ny, nx, box, false, trial);
      double sum = 0;
      for (std::size_t k = 0; k < recon.size(); ++k)
        if (region[k]) sum += std::norm(cdouble(trial.corrected[k]) - cdouble(truth[k]));
      return sum;
    };
    double here = residual(s.shift[0], s.shift[1]);
    for (double step = 0.25; step > 1e-3;) {
      bool moved = false;
      for (const auto& [dy, dx] : {std::pair{step, 0.0}, {-step, 0.0}, {0.0, step}, {0.0, -step}}) {
        const double v = residual(s.shift[0] + dy, s.shift[1] + dx);
        if (v < here) here = v, s.shift[0] += dy, s.shift[1] += dx, moved = true;
      }
      if (!moved) step *= 0.5;
    }
    fit_factor_and_ramp(shift_image(recon, ny, nx, s.shift[0], s.shift[1]), truth, region, ny, nx, box, remove_ramp,
                        s);
  } else {
    fit_factor_and_ramp(recon, truth, region, ny, nx, box, remove_ramp, s);
  }
  double residual = 0, truth_power = 0;
  for (std::size_t k = 0; k < recon.size(); ++k) {
    if (!region[k]) continue;
    residual += std::norm(cdouble(s.corrected[k]) - cdouble(truth[k]));
    truth_power += std::norm(cdouble(truth[k]));
  }
  s.error = std::sqrt(residual / truth_power);
  s.phase_ssim = phase_ssim(s.corrected, truth, region, nx, box, s.pixels);
  return s;
}

std::vector<std::uint8_t> illuminated_region(const std::vector<cfloat>& probe, std::size_t n,
                                             const std::vector<Position>& positions, std::size_t ny, std::size_t nx,
                                             double fraction) {
  std::vector<double> light(ny * nx, 0.0);
  for (const Position& p : positions) {
    for (std::size_t y = 0; y < n; ++y)
      for (std::size_t x = 0; x < n; ++x) {
        const std::size_t r = static_cast<std::size_t>(p.row) + y, c = static_cast<std::size_t>(p.col) + x;
        if (r < ny && c < nx) light[r * nx + c] += std::norm(probe[y * n + x]);
      }
  }
  const double top = *std::max_element(light.begin(), light.end());
  std::vector<std::uint8_t> region(ny * nx);
  for (std::size_t k = 0; k < light.size(); ++k) region[k] = top > 0 && light[k] >= fraction * top ? 1 : 0;
  return region;
}

}  // namespace xpulse::ptycho
