#pragma once
// `xpulse spi score`: superpose a reconstruction on the simulation's truth density (rotation, hand, sub-voxel
// shift; spi/density_alignment.h) and report the correlation and the Fourier shell correlation.
#include <string>
#include <vector>

#include "spi/fsc.h"

namespace xpulse::pipelines {

struct SpiScoreRequest {
  std::string reconstruction;
  std::string truth;       // the simulation file with /truth/density
  std::string out;         // optional HDF5 with the FSC curve and the aligned density
  std::size_t rotations = 3000;
  unsigned threads = 1;
  std::string command_line;
};

struct SpiScoreSummary {
  double cc = 0;
  bool inverted = false;
  double shift[3] = {0, 0, 0};  // voxels
  spi::FscCurve fsc;
  double edge_resolution = 0;   // angstrom, from the reconstruction's input geometry
  double voxel = 0;
  double seconds = 0;
};

SpiScoreSummary spi_score_file(const SpiScoreRequest& request);

}  // namespace xpulse::pipelines
