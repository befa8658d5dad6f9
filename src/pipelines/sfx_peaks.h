#pragma once
// `xpulse sfx peaks`: peakfinder8 (sfx/peakfinder8.h) on every frame of a CXI file, in parallel over frames;
// hit flags (the peak count within [min_peaks, max_peaks]) and the hit rate; the peak lists in CXI's layout
// (/entry_1/result_1/{nPeaks, peakXPosRaw, peakYPosRaw, peakTotalIntensity}, padded to max_peaks); the virtual
// powder pattern (the sum of the hits' frames); and optionally a hits-only CXI, as Cheetah writes. With follow,
// frames are taken as a writer appends them (io/dataset_follower.h) and the outputs are written once it is done.
#include <string>

#include "io/dataset_follower.h"
#include "pipelines/euxfel_run_map.h"
#include "sfx/peakfinder8.h"

namespace xpulse::pipelines {

inline const std::string kSfxDetector = "/entry_1/instrument_1/detector_1/";
inline const std::string kSfxData = "/entry_1/data_1/data";

struct SfxPeaksRequest {
  std::string input;
  std::string out;
  std::string hits_out;                // optional
  sfx::PeakFinderOptions options;
  std::size_t min_peaks = 10;          // a hit has min_peaks..max_peaks peaks (options.max_peaks)
  unsigned threads = 1;
  std::string device = "auto";         // auto | cpu | cuda
  int cuda_device = 0;
  std::string geometry;                // optional: a TOML file (io/geometry_file.h) whose detector values override
                                       // the file's, or a CrystFEL .geom of the panels (peaks found per panel)
  RunSelection run;                    // input a European XFEL run directory (pipelines/euxfel_run_map.h)
  std::string correct;                 // input stage, e.g. jungfrau:PEDESTAL,GAIN[,PHOTON_KEV] (jungfrau_input.h)
  std::size_t frames_per_read = 32;
  bool follow = false;                 // a file still being written: process frames as they arrive
  io::FollowOptions follow_options;
  bool progress = false;               // with follow: a line per poll with the frames so far and the hit rate
  std::string command_line;
};

struct SfxPeaksSummary {
  std::size_t frames = 0, hits = 0, peaks = 0;
  double hit_rate = 0;                   // hits / frames
  std::size_t ny = 0, nx = 0;
  double seconds = 0, find_seconds = 0;  // whole job, and peak finding alone (wall)
  bool swmr = false;                     // with follow: read in SWMR mode (else by re-opening)
  std::string device;                    // where steps 1 and 2 of peakfinder8 ran: cpu | cuda
  double centre_x = 0, centre_y = 0;     // the beam centre used, pixels (one flat panel)
  std::size_t panels = 0;                // with a .geom: its panels (the beam axis is the geometry's)
};

SfxPeaksSummary sfx_peaks_file(const SfxPeaksRequest& request);

}  // namespace xpulse::pipelines
