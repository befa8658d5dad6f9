#include "reduce/frame_reduction.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "runtime/journal.h"

namespace xpulse::reduce {
namespace {

constexpr std::size_t kPixelBlock = 16384;  // about this many pixels per block

}  // namespace

std::vector<std::string> ReduceOps::names() const {
  std::vector<std::string> n;
  if (sum) n.emplace_back("sum");
  if (mean) n.emplace_back("mean");
  if (max) n.emplace_back("max");
  if (min) n.emplace_back("min");
  if (stdev) n.emplace_back("std");
  return n;
}

ReduceOps parse_ops(std::string_view text) {
  ReduceOps ops;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view op = text.substr(pos, comma - pos);
    if (op == "sum") ops.sum = true;
    else if (op == "mean") ops.mean = true;
    else if (op == "max") ops.max = true;
    else if (op == "min") ops.min = true;
    else if (op == "std") ops.stdev = true;
    else throw InvalidArgument(fmt::format("--op '{}' is not known; use any of sum,mean,max,min,std", op));
    pos = comma + 1;
  }
  return ops;
}

FrameReduction::FrameReduction(std::size_t pixels, std::size_t row_pixels)
    : pixels_(pixels),
      block_pixels_(block_rows(row_pixels) * std::max<std::size_t>(1, row_pixels)),
      blocks_((pixels + block_pixels_ - 1) / block_pixels_),
      sum_(pixels, 0.0),
      mean_(pixels, 0.0),
      m2_(pixels, 0.0),
      max_(pixels, -std::numeric_limits<double>::infinity()),
      min_(pixels, std::numeric_limits<double>::infinity()) {}

std::size_t FrameReduction::block_rows(std::size_t row_pixels) {
  return std::max<std::size_t>(1, kPixelBlock / std::max<std::size_t>(1, row_pixels));
}

void FrameReduction::add(const double* block, std::size_t frames, runtime::ThreadPool& pool) {
  const std::size_t first = block_totals_.size();
  block_totals_.resize(first + blocks_ * frames, 0.0);
  double* totals = block_totals_.data() + first;
  pool.parallel_for(blocks_, [&](std::size_t b, unsigned) {
    const std::size_t p0 = b * block_pixels_, p1 = std::min(pixels_, p0 + block_pixels_);
    for (std::size_t f = 0; f < frames; ++f) {
      const double* x = block + f * pixels_;
      const double n = static_cast<double>(frames_ + f + 1);
      double total = 0.0;
      for (std::size_t p = p0; p < p1; ++p) {
        const double v = x[p];
        total += v;
        sum_[p] += v;
        const double delta = v - mean_[p];  // Welford: numerically stable running mean and M2
        mean_[p] += delta / n;
        m2_[p] += delta * (v - mean_[p]);
        if (v > max_[p] || std::isnan(v)) max_[p] = std::isnan(max_[p]) ? max_[p] : v;
        if (v < min_[p] || std::isnan(v)) min_[p] = std::isnan(min_[p]) ? min_[p] : v;
      }
      totals[f * blocks_ + b] = total;
    }
  });
  frames_ += frames;
}

std::vector<double> sum_block_totals(const std::vector<double>& block_totals, std::size_t blocks) {
  const std::size_t frames = blocks ? block_totals.size() / blocks : 0;
  std::vector<double> totals(frames, 0.0);
  for (std::size_t f = 0; f < frames; ++f) {
    double total = 0.0;
    for (std::size_t b = 0; b < blocks; ++b) total += block_totals[f * blocks + b];
    totals[f] = total;
  }
  return totals;
}

std::vector<double> FrameReduction::frame_totals() const {
  if (blocks_ == 0) return std::vector<double>(frames_, 0.0);
  return sum_block_totals(block_totals_, blocks_);
}

void FrameReduction::save(runtime::PayloadWriter& out) const {
  out.put<std::uint64_t>(frames_);
  out.put<std::uint64_t>(block_totals_.size());
  for (const auto* v : {&sum_, &mean_, &m2_, &max_, &min_, &block_totals_}) out.put(std::span<const double>(*v));
}

void FrameReduction::load(runtime::PayloadReader& in) {
  frames_ = in.get<std::uint64_t>();
  block_totals_.resize(in.get<std::uint64_t>());
  for (auto* v : {&sum_, &mean_, &m2_, &max_, &min_, &block_totals_}) in.get(std::span<double>(*v));
  if (!in.done()) throw Error("reduction checkpoint does not match the dataset's frame size");
}

std::vector<double> FrameReduction::mean() const {
  std::vector<double> m(pixels_);
  for (std::size_t p = 0; p < pixels_; ++p) m[p] = frames_ ? sum_[p] / static_cast<double>(frames_) : NAN;
  return m;
}

std::vector<double> FrameReduction::stdev() const {
  std::vector<double> s(pixels_);
  for (std::size_t p = 0; p < pixels_; ++p) s[p] = frames_ ? std::sqrt(m2_[p] / static_cast<double>(frames_)) : NAN;
  return s;
}

}  // namespace xpulse::reduce
