#pragma once
// `xpulse simulate pump-probe`: simulate a stack and write it in the input convention of ARCHITECTURE.md.
#include <string>
#include <vector>

#include "sim/pump_probe.h"

namespace xpulse::pipelines {

struct SimulateRequest {
  std::string out;
  sim::PumpProbeOptions options;
  std::string dtype = "float32";  // float32 | uint16
  std::string chunks = "frame";   // frame | tile | none
  unsigned threads = 1;
  std::string command_line;
};

struct SimulateSummary {
  std::string out;
  std::size_t pixels = 0;
  std::size_t masked = 0;
  std::size_t oscillating = 0;
  double seconds = 0.0;
  std::vector<std::string> warnings;
};

SimulateSummary simulate_pump_probe_file(const SimulateRequest& request);

}  // namespace xpulse::pipelines
