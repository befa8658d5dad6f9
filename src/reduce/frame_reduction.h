#pragma once
// Per-pixel reductions over frames (sum, mean, max, min, population std) and the per-frame total intensity,
// accumulated frame block by frame block so a stack of any length streams through fixed memory. Exact in the
// float64 sense: sums and Welford's mean/M2 in double, NaN propagates as in numpy. A frame's total over a block of
// pixels is summed in 8 interleaved partial sums (a fixed order, so it vectorises and stays reproducible).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/thread_pool.h"

namespace xpulse::runtime {
class PayloadWriter;
class PayloadReader;
}  // namespace xpulse::runtime

namespace xpulse::reduce {

struct ReduceOps {
  bool sum = false, mean = false, max = false, min = false, stdev = false;
  bool any() const { return sum || mean || max || min || stdev; }
  std::vector<std::string> names() const;
};

// "sum,mean,max,min,std" (any subset, any order). Throws InvalidArgument naming an unknown op.
ReduceOps parse_ops(std::string_view text);

// Only the statistics of `ops` are accumulated (none given: all); frame totals always are.
// Pixels are worked on in blocks of whole rows (a row: the pixels of one index of the frame's first dimension),
// about 16k pixels each. A frame's total is the sum of its block totals in block order, so it does not depend on
// the thread count, and ranks that each reduce whole blocks combine to the same bits as one process.
class FrameReduction {
 public:
  // row_pixels: pixels per row; `pixels` must be a multiple of it.
  explicit FrameReduction(std::size_t pixels, std::size_t row_pixels = 1, ReduceOps ops = {});

  static std::size_t block_rows(std::size_t row_pixels);  // rows per block

  // Adds `frames` frames of `pixels()` values each, frame-major. Float frames (data that float holds exactly)
  // give the same bits as the same values in double, with half the memory traffic.
  void add(const double* block, std::size_t frames, runtime::ThreadPool& pool);
  void add(const float* block, std::size_t frames, runtime::ThreadPool& pool);

  std::size_t pixels() const { return pixels_; }
  std::size_t frames() const { return frames_; }
  const std::vector<double>& sum() const { return sum_; }
  const std::vector<double>& max() const { return max_; }
  const std::vector<double>& min() const { return min_; }
  std::vector<double> mean() const;
  std::vector<double> stdev() const;  // population standard deviation (ddof = 0), as numpy's default
  std::vector<double> frame_totals() const;  // one per frame added
  std::size_t blocks() const { return blocks_; }
  const std::vector<double>& block_totals() const { return block_totals_; }  // [frame][block]

  // The whole state, for a checkpoint, and back (into a reduction of the same pixels).
  void save(runtime::PayloadWriter& out) const;
  void load(runtime::PayloadReader& in);

 private:
  template <class T>
  void add_frames(const T* block, std::size_t frames, runtime::ThreadPool& pool);

  ReduceOps ops_;
  std::size_t pixels_;
  std::size_t block_pixels_;
  std::size_t blocks_;
  std::size_t frames_ = 0;
  std::vector<double> sum_, mean_, m2_, max_, min_;
  std::vector<double> block_totals_;
};

// Sums [frame][block] totals over blocks in block order.
std::vector<double> sum_block_totals(const std::vector<double>& block_totals, std::size_t blocks);

}  // namespace xpulse::reduce
