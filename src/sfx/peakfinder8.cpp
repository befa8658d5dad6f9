#include "sfx/peakfinder8.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::sfx {

void PeakFinderOptions::validate() const {
  if (!(threshold >= 0) || !std::isfinite(threshold)) throw InvalidArgument(fmt::format("--threshold must be >= 0, got {}", threshold));
  if (!(min_snr >= 0) || !std::isfinite(min_snr)) throw InvalidArgument(fmt::format("--min-snr must be >= 0, got {}", min_snr));
  if (min_pixels < 1 || max_pixels < min_pixels) {
    throw InvalidArgument(fmt::format("--min-pix ({}) must be >= 1 and at most --max-pix ({})", min_pixels, max_pixels));
  }
  if (local_bg_radius < 1) throw InvalidArgument("--local-bg-radius must be >= 1");
  if (!(min_res >= 0) || !(max_res > min_res)) throw InvalidArgument("--min-res must be >= 0 and below --max-res");
  if (max_peaks < 1) throw InvalidArgument("--max-peaks must be >= 1");
}

PeakFinder8::PeakFinder8(std::size_t ny, std::size_t nx, double centre_x, double centre_y,
                         std::vector<std::uint8_t> mask, const PeakFinderOptions& options)
    : ny_(ny), nx_(nx), cx_(centre_x), cy_(centre_y), mask_(std::move(mask)), options_(options) {
  check_sizes();
  radius_.resize(ny * nx);
  for (std::size_t y = 0; y < ny; ++y)
    for (std::size_t x = 0; x < nx; ++x) {
      const double r = std::hypot(static_cast<double>(x) - cx_, static_cast<double>(y) - cy_);
      radius_[y * nx + x] = static_cast<std::uint32_t>(std::lround(r));
      bins_ = std::max<std::size_t>(bins_, radius_[y * nx + x] + 1);
    }
}

PeakFinder8::PeakFinder8(std::size_t ny, std::size_t nx, std::vector<float> radius_px, std::vector<std::uint16_t> panel,
                         std::vector<std::uint8_t> mask, const PeakFinderOptions& options)
    : ny_(ny), nx_(nx), mask_(std::move(mask)), radius_px_(std::move(radius_px)), panel_(std::move(panel)),
      options_(options) {
  check_sizes();
  if (radius_px_.size() != ny * nx || panel_.size() != ny * nx) {
    throw InputError(fmt::format("the pixel map has {} radii and {} panels; the frames have {}x{}", radius_px_.size(),
                                 panel_.size(), ny, nx));
  }
  radius_.resize(ny * nx);
  for (std::size_t i = 0; i < ny * nx; ++i) {
    if (!(radius_px_[i] >= 0.0f) || !std::isfinite(radius_px_[i])) {
      throw InputError(fmt::format("the pixel map's radius at ({}, {}) is {}", i / nx, i % nx, radius_px_[i]));
    }
    radius_[i] = static_cast<std::uint32_t>(std::lround(radius_px_[i]));
    bins_ = std::max<std::size_t>(bins_, radius_[i] + 1);
  }
}

void PeakFinder8::check_sizes() {
  options_.validate();
  if (ny_ == 0 || nx_ == 0) throw InputError("the frames are empty");
  if (mask_.empty()) mask_.assign(ny_ * nx_, 0);
  if (mask_.size() != ny_ * nx_) {
    throw InputError(fmt::format("the mask has {} pixels; the frames have {}x{}", mask_.size(), ny_, nx_));
  }
}

std::vector<Peak> PeakFinder8::find(const float* frame) const {
  return peaks_from_candidates(frame, candidates(frame));
}

std::vector<std::uint32_t> PeakFinder8::candidates(const float* frame) const {
  const std::size_t pixels = ny_ * nx_;
  // 1. Radial statistics with iterative clipping. One pass adds every unmasked pixel into its bin; each later
  // round only finds the pixels at or above the last cutoffs (few: peaks and outliers) and takes their
  // contributions off the full sums, rather than adding everything again.
  std::vector<double> cutoff(bins_, INFINITY), mean(bins_, 0.0), sigma(bins_, 0.0);
  std::vector<double> full_sum(bins_, 0.0), full_sum2(bins_, 0.0), full_count(bins_, 0.0);
  for (std::size_t i = 0; i < pixels; ++i) {
    if (mask_[i]) continue;
    const std::uint32_t b = radius_[i];
    const double v = frame[i];
    full_sum[b] += v, full_sum2[b] += v * v, full_count[b] += 1;
  }
  std::vector<double> sum(bins_), sum2(bins_), count(bins_);
  std::vector<std::uint32_t> above;
  for (int round = 0; round < 5; ++round) {
    sum = full_sum, sum2 = full_sum2, count = full_count;
    if (round > 0) {
      above.clear();
      for (std::size_t i = 0; i < pixels; ++i) {
        if (!(frame[i] < cutoff[radius_[i]]) && !mask_[i]) above.push_back(static_cast<std::uint32_t>(i));
      }
      for (const std::uint32_t i : above) {
        const std::uint32_t b = radius_[i];
        const double v = frame[i];
        sum[b] -= v, sum2[b] -= v * v, count[b] -= 1;
      }
    }
    for (std::size_t b = 0; b < bins_; ++b) {
      if (count[b] <= 0) {
        mean[b] = 0, sigma[b] = 0, cutoff[b] = INFINITY;
        continue;
      }
      mean[b] = sum[b] / count[b];
      sigma[b] = std::sqrt(std::max(0.0, sum2[b] / count[b] - mean[b] * mean[b]));
      cutoff[b] = mean[b] + options_.min_snr * sigma[b];
    }
  }
  // 2. Candidates.
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < pixels; ++i) {
    if (mask_[i] || !std::isfinite(frame[i])) continue;
    const std::uint32_t b = radius_[i];
    if (frame[i] > std::max<double>(options_.threshold, mean[b] + options_.min_snr * sigma[b])) {
      out.push_back(static_cast<std::uint32_t>(i));
    }
  }
  return out;
}

std::vector<Peak> PeakFinder8::peaks_from_candidates(const float* frame,
                                                     const std::vector<std::uint32_t>& candidates) const {
  const std::size_t pixels = ny_ * nx_;
  std::vector<std::uint8_t> candidate(pixels, 0);
  for (const std::uint32_t i : candidates) candidate[i] = 1;
  // 3. Connected regions (8 neighbours), then 4. local background and SNR.
  std::vector<Peak> peaks;
  std::vector<std::uint8_t> visited(pixels, 0);
  std::vector<std::size_t> stack, region;
  const long r = options_.local_bg_radius;
  for (std::size_t c = 0; c < candidates.size() && peaks.size() < options_.max_peaks; ++c) {
    const std::size_t start = candidates[c];
    if (visited[start]) continue;
    region.clear();
    stack.assign(1, start);
    visited[start] = 1;
    while (!stack.empty()) {
      const std::size_t i = stack.back();
      stack.pop_back();
      region.push_back(i);
      const long y = static_cast<long>(i / nx_), x = static_cast<long>(i % nx_);
      for (long dy = -1; dy <= 1; ++dy)
        for (long dx = -1; dx <= 1; ++dx) {
          const long yy = y + dy, xx = x + dx;
          if (yy < 0 || xx < 0 || yy >= static_cast<long>(ny_) || xx >= static_cast<long>(nx_)) continue;
          const std::size_t j = static_cast<std::size_t>(yy) * nx_ + static_cast<std::size_t>(xx);
          if (!panel_.empty() && panel_[j] != panel_[i]) continue;
          if (candidate[j] && !visited[j]) visited[j] = 1, stack.push_back(j);
        }
    }
    const int n = static_cast<int>(region.size());
    if (n < options_.min_pixels || n > options_.max_pixels) continue;
    long top = static_cast<long>(ny_), bottom = -1, left = static_cast<long>(nx_), right = -1;
    for (std::size_t i : region) {
      const long y = static_cast<long>(i / nx_), x = static_cast<long>(i % nx_);
      top = std::min(top, y), bottom = std::max(bottom, y), left = std::min(left, x), right = std::max(right, x);
    }
    double bsum = 0, bsum2 = 0;
    std::size_t bcount = 0;
    for (long y = std::max(0L, top - r); y <= std::min(static_cast<long>(ny_) - 1, bottom + r); ++y)
      for (long x = std::max(0L, left - r); x <= std::min(static_cast<long>(nx_) - 1, right + r); ++x) {
        const std::size_t j = static_cast<std::size_t>(y) * nx_ + static_cast<std::size_t>(x);
        if (mask_[j] || candidate[j] || (!panel_.empty() && panel_[j] != panel_[start])) continue;
        bsum += frame[j], bsum2 += static_cast<double>(frame[j]) * frame[j], ++bcount;
      }
    if (bcount < 2) continue;
    const double b = bsum / static_cast<double>(bcount);
    const double sb = std::sqrt(std::max(0.0, bsum2 / static_cast<double>(bcount) - b * b));
    double total = 0, mx = 0, my = 0;
    for (std::size_t i : region) {
      const double v = frame[i] - b;
      total += v, mx += v * static_cast<double>(i % nx_), my += v * static_cast<double>(i / nx_);
    }
    if (!(total > 0)) continue;
    const double snr = sb > 0 ? total / sb : INFINITY;
    if (snr < options_.min_snr) continue;
    const double px = mx / total, py = my / total;
    const double radius =
        panel_.empty() ? std::hypot(px - cx_, py - cy_)
                       : radius_px_[static_cast<std::size_t>(std::clamp(std::lround(py), 0L, static_cast<long>(ny_) - 1)) * nx_ +
                                    static_cast<std::size_t>(std::clamp(std::lround(px), 0L, static_cast<long>(nx_) - 1))];
    if (radius < options_.min_res || radius > options_.max_res) continue;
    peaks.push_back({static_cast<float>(px), static_cast<float>(py), static_cast<float>(total), static_cast<float>(snr),
                     static_cast<float>(b), n});
  }
  return peaks;
}

}  // namespace xpulse::sfx
