#pragma once
// A European XFEL run directory as an xpulse input: the run's multi-module detector frames (io/euxfel_run.h,
// io/euxfel_frame_plan.h) mapped into one HDF5 virtual dataset, the run map, which the parallel chunk reader
// then reads like any stack:
//   /entry_1/data_1/data [frames, modules * ss, fs] (modules stacked along ss, as a CrystFEL geometry of the
//     modules describes them with min_ss = module * ss; RAW AGIPD: the data plane),
//   /entry_1/data_1/gain (RAW AGIPD's gain plane), /entry_1/data_1/{trainId, pulseId, cellId} [frames],
//   /entry_1/data_1/missing [frames, modules] (1 where the module has no image: its pixels read as 0).
// Reading the INDEX of hundreds of files takes a while, so the map is kept in a cache directory
// ($XPULSE_CACHE_DIR, else $XDG_CACHE_HOME/xpulse, else ~/.cache/xpulse) under a name made from the run's
// path, detector, selection and every file's name, size and modification time: a later job on the same run
// only lists and stats the files, and any change to them makes a new map.
#include <cstddef>
#include <string>

namespace xpulse::pipelines {

struct RunSelection {
  std::string detector;  // e.g. SPB_DET_AGIPD1M-1
  std::string trains;    // "FIRST:END" train IDs (END excluded), "" for all
  std::string pulses;    // "FIRST:END" pulse IDs
  bool empty() const { return detector.empty() && trains.empty() && pulses.empty(); }
};

struct RunMap {
  std::string path;       // the map file (a cache entry: read it, do not move it)
  std::size_t frames = 0;
  int modules = 0;
  std::size_t ss = 0, fs = 0;
  bool gain_plane = false;
  bool reused = false;    // found in the cache
};

inline const std::string kRunData = "/entry_1/data_1/data";

// Builds or reuses the map of `directory`. InputError for what io/euxfel_run.h rejects, and for a selection
// with no frames.
RunMap euxfel_run_map(const std::string& directory, const RunSelection& selection);

// For commands that take a stack or a run: `input` itself when it is a file and no run option is set, else the
// run map's path (InvalidArgument for --detector, --trains or --pulses given with a file).
std::string stack_or_run_map(const std::string& input, const RunSelection& selection);

}  // namespace xpulse::pipelines
