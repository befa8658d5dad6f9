#pragma once
// `xpulse reduce`: per-pixel reductions over frames of a stack and its per-frame total intensity, streamed
// through the parallel reader; with follow, tracks a file that is still being written and rewrites the output
// periodically. Under MPI each rank reduces a static share of rows (whole pixel blocks) and writes a part file;
// frame totals are summed on rank 0 (MPI_Reduce, float64) block by block, so every rank count gives the same
// bits. The state is checkpointed to OUT.journal, so a killed run resumes (--resume).
#include <cstddef>
#include <functional>
#include <string>

#include "io/dataset_follower.h"
#include "io/parallel_reader.h"
#include "pipelines/euxfel_run_map.h"
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
  std::string correct;  // input stage, e.g. jungfrau:PEDESTAL,GAIN[,PHOTON_KEV] (pipelines/jungfrau_input.h)
  RunSelection run;     // input a European XFEL run directory: its detector and frames (euxfel_run_map.h)
  bool resume = false;              // continue from the checkpoints in OUT.journal
  bool merge = false;               // MPI: one standalone output instead of virtual datasets over part files
  double checkpoint_seconds = 60.0;  // write a checkpoint at most this often
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
  std::size_t resumed_frames = 0;  // frames taken from a checkpoint of an earlier run (rank 0's)
  std::string distribution;        // "1 process" | "2 MPI ranks (static shares of rows)"
};

ReduceSummary reduce_frames_file(const ReduceRequest& request);

// Adds frames [first, end) of `reader` (dims [frame, row, ...]), rows [row0, row0 + rows) of each (rows 0: all;
// acc.pixels() values per frame) to `acc`, read as float64 in blocks of about 64 MiB; on_block(frames) after
// each block.
void accumulate_frames(io::ParallelReader& reader, std::size_t first, std::size_t end, reduce::FrameReduction& acc,
                       runtime::ThreadPool& pool, const std::function<void(std::size_t)>& on_block = {},
                       std::size_t row0 = 0, std::size_t rows = 0);

}  // namespace xpulse::pipelines
