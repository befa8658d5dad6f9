#pragma once
// `xpulse reduce`: per-pixel reductions over frames of a stack and its per-frame total intensity, streamed
// through the parallel reader; with follow, tracks a file that is still being written and rewrites the output
// periodically.
#include <cstddef>
#include <functional>
#include <string>

#include "io/dataset_follower.h"
#include "io/parallel_reader.h"
#include "reduce/frame_reduction.h"

namespace xpulse::pipelines {

struct ReduceRequest {
  std::string input;
  std::string out;
  std::string data_path = "/entry_1/data_1/data";
  reduce::ReduceOps ops;  // default (none given): all
  std::size_t first_frame = 0;
  std::size_t end_frame = 0;  // 0: to the end (and, with follow, as long as the writer adds frames)
  bool follow = false;
  io::FollowOptions follow_options;
  double update_seconds = 10.0;  // with follow: rewrite the output at most this often
  unsigned threads = 1;
  bool allow_missing = false;
  bool progress = false;
  std::string command_line;
};

struct ReduceSummary {
  std::string out;
  std::size_t frames = 0;
  std::size_t pixels = 0;
  std::size_t updates = 0;  // output files written (1 without follow)
  double seconds = 0.0;
  double bytes_per_second = 0.0;  // stored bytes read / seconds
  std::string data_layout;
  bool swmr = false;
};

ReduceSummary reduce_frames_file(const ReduceRequest& request);

// Adds frames [first, end) of `reader` (dims [frame, ...] with acc.pixels() values per frame) to `acc`, read as
// float64 in blocks of about 64 MiB; on_block(frames) after each block.
void accumulate_frames(io::ParallelReader& reader, std::size_t first, std::size_t end, reduce::FrameReduction& acc,
                       runtime::ThreadPool& pool, const std::function<void(std::size_t)>& on_block = {});

}  // namespace xpulse::pipelines
