#include "reduce/frame_reduction.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::reduce {
namespace {

constexpr std::size_t kPixelBlock = 16384;  // pixels per work item; fixed so sums are thread-count independent

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

FrameReduction::FrameReduction(std::size_t pixels)
    : pixels_(pixels),
      sum_(pixels, 0.0),
      mean_(pixels, 0.0),
      m2_(pixels, 0.0),
      max_(pixels, -std::numeric_limits<double>::infinity()),
      min_(pixels, std::numeric_limits<double>::infinity()) {}

void FrameReduction::add(const double* block, std::size_t frames, runtime::ThreadPool& pool) {
  const std::size_t blocks = (pixels_ + kPixelBlock - 1) / kPixelBlock;
  // Per-block partial frame totals, added in block order afterwards.
  std::vector<double> partial(blocks * frames, 0.0);
  pool.parallel_for(blocks, [&](std::size_t b, unsigned) {
    const std::size_t p0 = b * kPixelBlock, p1 = std::min(pixels_, p0 + kPixelBlock);
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
      partial[b * frames + f] = total;
    }
  });
  for (std::size_t f = 0; f < frames; ++f) {
    double total = 0.0;
    for (std::size_t b = 0; b < blocks; ++b) total += partial[b * frames + f];
    frame_totals_.push_back(total);
  }
  frames_ += frames;
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
