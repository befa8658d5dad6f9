#pragma once
// `xpulse dispersion`: phonon frequencies of the well-fitted pixels of a fit, binned along momentum transfer.
#include <cstddef>
#include <string>

#include "phonon/fit_quality.h"
#include "pipelines/q_coordinates.h"

namespace xpulse::pipelines {

struct DispersionRequest {
  std::string fit_file;
  std::string data_file;   // geometry (and truth) source; empty: the fit's recorded input file
  std::string out;
  QBinningRequest binning;  // its geometry_hdf5 is filled from data_file
  int harmonic = 2;         // f_phonon = f_fit / harmonic
  phonon::FitQuality quality;
  unsigned threads = 1;
  std::string command_line;
};

struct DispersionSummary {
  std::string out;
  std::string geometry_source;
  std::string coordinate;      // "|q - G|", "|q|" or "path"
  std::size_t pixels = 0;
  std::size_t used = 0;        // pixels that pass the quality thresholds (and lie on the path)
  std::size_t bins = 0;
  std::size_t populated_bins = 0;
  double q_hi = 0.0;           // upper bin edge, 1/Angstrom
  double frequency_min = 0.0;  // over populated bins, THz
  double frequency_max = 0.0;
  bool truth = false;          // the input's /truth was binned alongside
  double seconds = 0.0;
};

DispersionSummary dispersion_file(const DispersionRequest& request);

}  // namespace xpulse::pipelines
