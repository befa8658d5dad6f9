#pragma once
// `xpulse ptycho score`: compare a reconstructed object with the simulation's truth (ptycho/object_score.h) over
// the region the scan lights (10% of the largest summed probe intensity), after placing the reconstruction's grid
// on the truth's by the first frame's position.
#include <string>

#include "ptycho/object_score.h"

namespace xpulse::pipelines {

struct PtychoScoreRequest {
  std::string reconstruction;
  std::string truth;          // the simulation CXI with /truth/{object, probe, positions}
  std::string out;            // optional HDF5 with the corrected object and the region
  bool remove_ramp = true;
  bool remove_shift = true;
  std::string command_line;
};

struct PtychoScoreSummary {
  double error = 0, phase_ssim = 0;
  std::complex<double> factor{1, 0};
  double ramp[2] = {0, 0};
  double shift[2] = {0, 0};  // pixels the reconstruction was moved by (rows, columns)
  std::size_t pixels = 0;
  double seconds = 0;
};

PtychoScoreSummary ptycho_score_file(const PtychoScoreRequest& request);

}  // namespace xpulse::pipelines
