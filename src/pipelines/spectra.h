#pragma once
// `xpulse spectra`: per-pixel amplitude spectra of a pump-probe stack, binned along momentum transfer into the
// FT-IXS dispersion image (intensity over q and frequency).
#include <cstddef>
#include <string>

#include "phonon/amplitude_spectrum.h"
#include "pipelines/pumpprobe_input.h"
#include "pipelines/q_coordinates.h"

namespace xpulse::pipelines {

struct SpectraRequest {
  PumpProbeInputPaths input;
  std::string out;
  QBinningRequest binning;  // geometry_hdf5 is the input file
  phonon::SpectrumOptions spectrum;
  unsigned threads = 1;
  bool allow_missing = false;
  bool progress = false;
  std::string command_line;
};

struct SpectraSummary {
  std::string out;
  std::string coordinate;
  std::size_t pixels = 0;
  std::size_t used = 0;          // unmasked pixels with finite traces inside the bins
  std::size_t delays = 0;        // delays at or after t0
  bool uniform = true;
  std::size_t frequencies = 0;
  double resolution_thz = 0.0;
  double step_thz = 0.0;
  double max_frequency_thz = 0.0;
  std::size_t bins = 0;
  std::size_t populated_bins = 0;
  bool truth = false;
  std::string data_layout;
  double compute_seconds = 0.0;  // reading + transforming, overlapped
  double total_seconds = 0.0;
};

SpectraSummary spectra_file(const SpectraRequest& request);

}  // namespace xpulse::pipelines
