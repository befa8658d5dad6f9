#include "reduce/frame_reduction.h"

#include <algorithm>
#include <array>
#include <utility>
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

FrameReduction::FrameReduction(std::size_t pixels, std::size_t row_pixels, ReduceOps ops)
    : ops_(ops.any() ? ops : ReduceOps{true, true, true, true, true}),
      pixels_(pixels),
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

namespace {

constexpr int kPartials = 8;  // partial sums of a frame's block total: a fixed order that vectorises

// Pixels [p0, p1) of one frame x. The statistics not asked for (Mask bits: 1 sum, 2 mean/M2, 4 max, 8 min) are
// left alone, so each combination compiles to its own branch-free, vectorised loop.
template <int Mask, class T>
double add_frame(const T* x, std::size_t p0, std::size_t p1, double inverse_n, double* sum, double* mean,
                 double* m2, double* max, double* min) {
  constexpr bool kSum = Mask & 1, kWelford = Mask & 2, kMax = Mask & 4, kMin = Mask & 8;
  double partial[kPartials] = {};
  auto one = [&](std::size_t p, int i) {
    const double v = static_cast<double>(x[p]);
    partial[i] += v;
    if constexpr (kSum) sum[p] += v;
    if constexpr (kWelford) {  // numerically stable running mean and M2
      const double delta = v - mean[p];
      mean[p] += delta * inverse_n;
      m2[p] += delta * (v - mean[p]);
    }
    // NaN propagates as in numpy: once NaN, always NaN.
    if constexpr (kMax) max[p] = max[p] != max[p] ? max[p] : ((v > max[p] || v != v) ? v : max[p]);
    if constexpr (kMin) min[p] = min[p] != min[p] ? min[p] : ((v < min[p] || v != v) ? v : min[p]);
  };
  std::size_t p = p0;
  for (; p + kPartials <= p1; p += kPartials) {
#pragma GCC unroll 8
    for (int i = 0; i < kPartials; ++i) one(p + i, i);
  }
  for (int i = 0; p < p1; ++p, ++i) one(p, i);
  return ((partial[0] + partial[1]) + (partial[2] + partial[3])) + ((partial[4] + partial[5]) + (partial[6] + partial[7]));
}

template <class T>
using AddFrame = double (*)(const T*, std::size_t, std::size_t, double, double*, double*, double*, double*, double*);
template <class T, std::size_t... M>
constexpr std::array<AddFrame<T>, sizeof...(M)> add_frame_table(std::index_sequence<M...>) {
  return {&add_frame<static_cast<int>(M), T>...};
}
template <class T>
constexpr auto kAddFrame = add_frame_table<T>(std::make_index_sequence<16>{});

}  // namespace

void FrameReduction::add(const double* block, std::size_t frames, runtime::ThreadPool& pool) {
  add_frames(block, frames, pool);
}

void FrameReduction::add(const float* block, std::size_t frames, runtime::ThreadPool& pool) {
  add_frames(block, frames, pool);
}

template <class T>
void FrameReduction::add_frames(const T* block, std::size_t frames, runtime::ThreadPool& pool) {
  const std::size_t first = block_totals_.size();
  block_totals_.resize(first + blocks_ * frames, 0.0);
  double* totals = block_totals_.data() + first;
  // mean() is sum / frames; stdev() comes from Welford's M2.
  const int mask = (ops_.sum || ops_.mean ? 1 : 0) | (ops_.stdev ? 2 : 0) | (ops_.max ? 4 : 0) | (ops_.min ? 8 : 0);
  const AddFrame<T> add_one = kAddFrame<T>[static_cast<std::size_t>(mask)];
  pool.parallel_for(blocks_, [&](std::size_t b, unsigned) {
    const std::size_t p0 = b * block_pixels_, p1 = std::min(pixels_, p0 + block_pixels_);
    for (std::size_t f = 0; f < frames; ++f) {
      const double inverse_n = 1.0 / static_cast<double>(frames_ + f + 1);
      totals[f * blocks_ + b] = add_one(block + f * pixels_, p0, p1, inverse_n, sum_.data(), mean_.data(),
                                        m2_.data(), max_.data(), min_.data());
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
