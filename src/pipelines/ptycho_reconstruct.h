#pragma once
// `xpulse ptycho reconstruct`: read a CXI scan (ptycho_input.h), run an engine (ptycho/engine.h) for a number of
// iterations from a unit object and a probe (given, or from the data), and write the object, the probe, the
// positions and the per-iteration cost and times. Under MPI each rank reads its share of the frames (DM, ML).
#include <string>
#include <vector>

#include "ptycho/engine.h"

namespace xpulse::pipelines {

struct PtychoReconstructRequest {
  std::string input;
  std::string out;
  ptycho::EngineOptions options;
  int iterations = 100;
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
  double seconds = 0;
};

PtychoReconstructSummary ptycho_reconstruct_file(const PtychoReconstructRequest& request);

}  // namespace xpulse::pipelines
