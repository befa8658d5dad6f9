#pragma once
// `xpulse sfx process`: every frame of a CXI stack of stills read once and taken from pixels to integrated
// reflections (sfx/still_processor.h), in parallel over frames; the lattices and reflections written to HDF5 in
// frame order (the same for any thread and rank count), optionally also as a CrystFEL stream. Batches of frames
// are the work units: under MPI every rank pulls them from rank 0 (runtime/work_queue.h), each finished batch is
// journaled (runtime/journal.h: a killed run resumes with --resume), and rank 0 joins them in frame order.
//
// Output (units as attributes): /indexing/{frame, lattice [L], ub [L,3,3] (columns a*, b*, c*, lab, 1/Angstrom,
// s = UB h), cell [L,6] (Angstrom, degrees), n_peaks, n_indexed, rms_px, profile_radius [L]};
// /reflections/{frame, lattice, hkl [R,3], intensity, sigma (photons), background (photons/pixel), x, y (predicted
// centre, pixels), partiality, d (Angstrom), flags} [R]; /peaks/{frame, x, y, total_intensity, lattice (-1:
// not indexed)} [P]; /frames/{n_peaks, hit, lattices} [N]; the geometry used
// under the CXI paths; the cell, centering and options as attributes of /indexing.
#include <string>

#include "sfx/still_processor.h"

namespace xpulse::pipelines {

struct SfxProcessRequest {
  std::string input;
  std::string out;
  std::string stream;                    // optional CrystFEL stream
  std::string cell;                      // "a,b,c,alpha,beta,gamma"
  std::string centering = "P";
  std::string partiality = "xsphere";
  std::string int_radius = "4,5,7";
  std::string geometry;                  // optional TOML overriding the file's detector and source values
  sfx::StillProcessorOptions options;    // prediction.model and integration radii come from the strings above
  bool threshold_given = false;          // else peaks.threshold = kDefaultThresholdPhotons x the file's gain
  static constexpr double kDefaultThresholdPhotons = 5;
  unsigned threads = 1;
  std::string device = "auto";           // auto | cpu | cuda: peakfinder8's pixel passes and indexing step 1
  int cuda_device = 0;
  std::size_t frames_per_read = 32;
  bool progress = false;
  bool resume = false;                   // continue from the batches journaled in OUT.journal by a killed run
  std::string command_line;
};

struct SfxProcessSummary {
  std::size_t frames = 0, hits = 0, indexed_frames = 0, lattices = 0, reflections = 0;
  double median_indexed_peaks = 0, mean_rms_px = 0;
  double seconds = 0;
  std::size_t ny = 0, nx = 0;
  std::size_t resumed_frames = 0;        // taken from the journal of an earlier run
  std::string distribution;              // "1 process", "3 MPI ranks"
  std::string device;                    // "CPU" or the GPU's name
};

SfxProcessSummary sfx_process_file(const SfxProcessRequest& request);

}  // namespace xpulse::pipelines
