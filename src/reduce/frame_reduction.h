#pragma once
// Per-pixel reductions over frames (sum, mean, max, min, population std) and the per-frame total intensity,
// accumulated frame block by frame block so a stack of any length streams through fixed memory. Exact in the
// float64 sense: sums and Welford's mean/M2 in double, NaN propagates as in numpy.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/thread_pool.h"

namespace xpulse::reduce {

struct ReduceOps {
  bool sum = false, mean = false, max = false, min = false, stdev = false;
  bool any() const { return sum || mean || max || min || stdev; }
  std::vector<std::string> names() const;
};

// "sum,mean,max,min,std" (any subset, any order). Throws InvalidArgument naming an unknown op.
ReduceOps parse_ops(std::string_view text);

class FrameReduction {
 public:
  explicit FrameReduction(std::size_t pixels);

  // Adds `frames` frames of `pixels()` values each, frame-major. Work is split over pixels in fixed blocks, so
  // results do not depend on the thread count.
  void add(const double* block, std::size_t frames, runtime::ThreadPool& pool);

  std::size_t pixels() const { return pixels_; }
  std::size_t frames() const { return frames_; }
  const std::vector<double>& sum() const { return sum_; }
  const std::vector<double>& max() const { return max_; }
  const std::vector<double>& min() const { return min_; }
  std::vector<double> mean() const;
  std::vector<double> stdev() const;  // population standard deviation (ddof = 0), as numpy's default
  const std::vector<double>& frame_totals() const { return frame_totals_; }  // one per frame added

 private:
  std::size_t pixels_;
  std::size_t frames_ = 0;
  std::vector<double> sum_, mean_, m2_, max_, min_;
  std::vector<double> frame_totals_;
};

}  // namespace xpulse::reduce
