#pragma once
// `xpulse ptycho reconstruct`: read a CXI scan (ptycho_input.h), run an engine (ptycho/engine.h) for a number of
// iterations from a unit object and a probe (given, or from the data), and write the object, the probe, the
// positions and the per-iteration cost and times. Under MPI each rank reads its share of the frames (DM, ML).
#include <string>
#include <vector>

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
  std::string command_line;
};

struct PtychoReconstructSummary {
  std::size_t frames = 0, n = 0, object_ny = 0, object_nx = 0;
  double pixel_m = 0;
  std::vector<ptycho::IterationRecord> history;
  ptycho::ModelFit fit;               // the final model's cost and its expected cost (course.h)
  std::string warning;               // convergence_warning's, or empty
  int shifted[2] = {0, 0};           // pixels the probe and object were rolled by to keep the probe centred
  double seconds = 0;
};

PtychoReconstructSummary ptycho_reconstruct_file(const PtychoReconstructRequest& request);

}  // namespace xpulse::pipelines
