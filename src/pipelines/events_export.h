#pragma once
// `xpulse events export RUN_DIR --detector D [--trains a:b] [--pulses a:b] --out STACK.cxi`: a European XFEL
// run's detector frames (pipelines/euxfel_run_map.h) copied into one standalone CXI-style file:
//   /entry_1/data_1/data [frames, modules, ss, fs] (RAW AGIPD: the data plane; its gain plane in
//   /entry_1/data_1/gain), /entry_1/data_1/{trainId, pulseId, cellId} [frames], /entry_1/data_1/missing
//   [frames, modules] (nonzero where a module has no image: its pixels are the fill value 0),
// frames in train order then pulse order, read through the parallel chunk reader and written frame by frame.
#include <cstddef>
#include <string>

#include "pipelines/euxfel_run_map.h"

namespace xpulse::pipelines {

struct EventsExportRequest {
  std::string run_directory;
  RunSelection selection;
  std::string out;
  unsigned threads = 1;
  std::string command_line;
};

struct EventsExportSummary {
  std::size_t frames = 0, missing_images = 0;  // missing: module images absent (frames x modules)
  int modules = 0;
  std::size_t ss = 0, fs = 0;
  bool gain_plane = false;
  bool map_reused = false;
  std::string map_path;
  double seconds = 0, bytes_per_second = 0;    // of frame data written
};

EventsExportSummary events_export(const EventsExportRequest& request);

}  // namespace xpulse::pipelines
