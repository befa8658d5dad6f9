#pragma once
// `xpulse correct jungfrau`: raw JUNGFRAU frames (uint16 words) to energies or photon counts with pedestal and
// gain constants (correct/jungfrau_correction.h), streamed in blocks of frames through the parallel reader into
// a CXI-like output: /entry_1/data_1/data float32 and /entry_1/data_1/mask uint8 flags, both [frames, ...].
#include <cstddef>
#include <string>

#include "correct/jungfrau_correction.h"

namespace xpulse::pipelines {

struct JungfrauCorrectRequest {
  std::string input;
  std::string out;
  std::string data_path = "/entry_1/data_1/data";
  std::string pedestal;  // FILE or FILE:/DATASET (default dataset /pedestal), float [3, frame shape...]
  std::string gain;      // FILE or FILE:/DATASET (default dataset /gain), ADU per keV, [3, frame shape...]
  correct::JungfrauOptions options;
  bool cuda = false;  // correct on CUDA device `gpu` (correct/cuda_jungfrau.h) instead of the CPU threads
  int gpu = 0;
  unsigned threads = 1;
  std::string command_line;
};

struct JungfrauCorrectSummary {
  std::string out;
  std::string units;  // "keV" or "photons"
  std::size_t frames = 0;
  std::size_t pixels = 0;
  std::size_t invalid_gain = 0;   // values flagged kJungfrauInvalidGain
  std::size_t bad_constants = 0;  // values flagged kJungfrauBadConstants
  double seconds = 0.0;
};

// Throws InvalidArgument (bad options), InputError (wrong dtype, rank or shapes; constants not [3, frame shape])
// or IoError; nothing is left under `out` when it throws.
JungfrauCorrectSummary correct_jungfrau_file(const JungfrauCorrectRequest& request);

}  // namespace xpulse::pipelines
