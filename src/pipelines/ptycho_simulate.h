#pragma once
// `xpulse simulate ptycho`: simulate a ptychographic scan (sim/ptycho_simulation.h) and write it as CXI
// (REFERENCE.md section 4) with the truth.
#include <string>

#include "sim/ptycho_simulation.h"

namespace xpulse::pipelines {

struct PtychoSimulateRequest {
  std::string out;
  std::string object = "siemens";  // siemens | a PNG image
  sim::PtychoSimOptions options;
  unsigned threads = 1;
  std::string command_line;
};

struct PtychoSimulateSummary {
  std::size_t frames = 0, n = 0, object_size = 0;
  double step = 0;          // nominal scan step, pixels
  double pixel_m = 0;       // object pixel, m
  double mean_counts = 0;   // per frame
  double seconds = 0;
};

PtychoSimulateSummary simulate_ptycho_file(const PtychoSimulateRequest& request);

}  // namespace xpulse::pipelines
