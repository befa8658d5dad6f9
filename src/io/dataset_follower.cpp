#include "io/dataset_follower.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"

namespace xpulse::io {

void FollowOptions::validate() const {
  if (!(poll_seconds > 0.0)) throw InvalidArgument("--poll must be > 0 seconds");
  if (!(idle_timeout_seconds >= 0.0)) throw InvalidArgument("--idle-timeout must be >= 0 seconds");
}

DatasetFollower::DatasetFollower(const std::string& path, const std::string& dataset, ReaderOptions reader_options,
                                 FollowOptions options)
    : path_(path), dataset_(dataset), reader_options_(reader_options), options_(options) {
  options_.validate();
  // SWMR needs superblock version 3 (libver "latest"); an older file cannot be SWMR-written, so it is re-opened
  // at every poll instead.
  unsigned superblock = 0;
  try {
    const Reader probe(path_, OpenMode::swmr);
    H5F_info2_t info{};
    if (H5Fget_info2(probe.id(), &info) >= 0) superblock = info.super.version;
  } catch (const Error& e) {
    spdlog::debug("'{}' cannot be opened for SWMR reading ({}); following by re-opening", path_, e.what());
  }
  swmr_ = superblock >= 3;
  reader_options_.mode = swmr_ ? OpenMode::swmr : OpenMode::unlocked;
  reader_ = std::make_unique<ParallelReader>(path_, dataset_, reader_options_);
  if (reader_->dims().empty()) {
    throw InputError(fmt::format("dataset '{}' in '{}' is a scalar; nothing to follow", dataset_, path_));
  }
  previous_extent_ = reader_->dims()[0];
  last_growth_ = std::chrono::steady_clock::now();
}

void DatasetFollower::refresh() {
  // A non-SWMR file can be caught mid-flush; such a poll is skipped, not fatal.
  try {
    reader_->refresh();
  } catch (const Error& e) {
    spdlog::debug("poll of '{}' skipped: {}", path_, e.what());
  }
}

DatasetFollower::Frames DatasetFollower::wait_for_more(std::size_t have) {
  using clock = std::chrono::steady_clock;
  while (true) {
    refresh();
    const std::size_t extent = reader_->dims()[0];
    if (extent > previous_extent_) last_growth_ = clock::now();
    const std::size_t settled = std::min(extent, previous_extent_);
    previous_extent_ = extent;
    if (settled > have) return {settled, false};
    const double idle = std::chrono::duration<double>(clock::now() - last_growth_).count();
    if (idle >= options_.idle_timeout_seconds) return {extent, true};
    std::this_thread::sleep_for(std::chrono::duration<double>(options_.poll_seconds));
  }
}

}  // namespace xpulse::io
