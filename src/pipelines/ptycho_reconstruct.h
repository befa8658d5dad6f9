#pragma once
// `xpulse ptycho reconstruct`: read a CXI scan (ptycho_input.h), run an engine (ptycho/engine.h) for a number of
// iterations from a unit object and a probe (given, or from the data), and write the object, the probe, the
// positions and the per-iteration cost and times. Under MPI each rank reads its share of the frames (DM, ML).
#include <string>
#include <vector>

#include "io/dataset_follower.h"
#include "ptycho/course.h"
#include "ptycho/engine.h"

namespace xpulse::pipelines {

struct PtychoReconstructRequest {
  std::string input;
  std::string out;
  ptycho::EngineOptions options;
  ptycho::CourseOptions course;      // iterations, warm-up, probe refinement and centring
  std::string probe;                 // FILE:/dataset of a complex starting probe; empty: from the data
  unsigned threads = 1;
  std::string device = "auto";       // auto | cpu | cuda
  int log_every = 10;                // iterations between log lines
  bool progress = false;
  std::size_t memory = 0;            // bytes the frames may hold; above it ML streams them from the file (0: no limit)
  bool follow = false;               // the file is still being written (ptycho_follow.h)
  io::FollowOptions follow_options;
  double update_seconds = 10;        // with follow: seconds of iterations between previews
  std::string command_line;
};

struct PtychoReconstructSummary {
  std::size_t frames = 0, n = 0, object_ny = 0, object_nx = 0;
  double pixel_m = 0;
  std::vector<ptycho::IterationRecord> history;
  ptycho::ModelFit fit;               // the final model's cost and its expected cost (course.h)
  std::string warning;               // convergence_warning's, or empty
  int shifted[2] = {0, 0};           // pixels the probe and object were rolled by to keep the probe centred
  std::size_t streamed_frames = 0;   // frames read from the file during the iterations (0: held in memory)
  int previews = 0;                  // with follow: previews written before the final result
  double seconds = 0;
};

PtychoReconstructSummary ptycho_reconstruct_file(const PtychoReconstructRequest& request);

// The starting probe `--probe FILE:/dataset` for frames of n x n: InputError for a wrong rank, shape or values.
std::vector<ptycho::cfloat> read_ptycho_probe(const std::string& spec, std::size_t n);

}  // namespace xpulse::pipelines
