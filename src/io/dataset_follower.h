#pragma once
// Following a dataset that another process is extending along its first axis (a DAQ writing frames). A file in
// the SWMR-capable format (superblock 3) is read in SWMR mode and refreshed with H5Drefresh; any other file is
// re-opened without HDF5's file lock at every poll (for writers that flush but do not use SWMR).
//
// A frame counts as available once the extent has covered it on two consecutive polls: a writer extends the
// dataset before it writes the frame, so the newest frames of one poll may not hold their data yet. When the
// extent has not grown for idle_timeout seconds the writer is taken to be done and every frame is available.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "io/parallel_reader.h"

namespace xpulse::io {

struct FollowOptions {
  double poll_seconds = 1.0;
  double idle_timeout_seconds = 30.0;
  void validate() const;  // throws InvalidArgument naming the flag
};

class DatasetFollower {
 public:
  DatasetFollower(const std::string& path, const std::string& dataset, ReaderOptions reader_options,
                  FollowOptions options);

  ParallelReader& reader() { return *reader_; }
  bool swmr() const { return swmr_; }

  struct Frames {
    std::size_t available = 0;  // frames [0, available) may be read
    bool finished = false;      // the writer has gone idle: no more frames will be waited for
  };
  // Polls until more than `have` frames are available or the idle timeout passes.
  Frames wait_for_more(std::size_t have);

 private:
  void refresh();
  std::string path_, dataset_;
  ReaderOptions reader_options_;
  FollowOptions options_;
  std::unique_ptr<ParallelReader> reader_;
  bool swmr_ = false;
  std::size_t previous_extent_ = 0;
  std::chrono::steady_clock::time_point last_growth_;
};

}  // namespace xpulse::io
