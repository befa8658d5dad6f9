#pragma once
// The frames of a European XFEL run's multi-module detector (io/euxfel_run.h) as one stack: one frame per
// (train, pulse) that any module recorded in a valid train, in train order then pulse order, each made of every
// module's image of that pulse; a module without that pulse (a missing module or a dropped pulse) is flagged
// missing and reads as the fill value 0. What is copied where is a list of pieces, each a contiguous run of one
// file's frames landing on consecutive frames of the stack.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/euxfel_run.h"

namespace xpulse::io {

// Half-open ranges of train and pulse IDs ("a:b", either side may be left out).
struct IdRange {
  std::optional<std::uint64_t> first, end;
  bool contains(std::uint64_t id) const { return (!first || id >= *first) && (!end || id < *end); }
};
// "a:b", "a:", ":b" or "" (everything); InvalidArgument naming `option` otherwise.
IdRange parse_id_range(const std::string& text, const std::string& option);

struct FramePiece {
  std::size_t file = 0;          // index into EuxfelRun::files
  std::size_t source_first = 0;  // first frame in that file's image/data
  std::size_t frame_first = 0;   // first frame of the stack
  std::size_t count = 0;
};

struct FramePlan {
  int modules = 0;
  std::vector<std::uint64_t> train_ids, pulse_ids;  // per frame
  std::vector<std::uint16_t> cell_ids;              // per frame (from the first module that has the frame)
  std::vector<std::uint8_t> missing;                // [frames * modules]: 1 where the module has no image
  std::vector<FramePiece> pieces;
  std::size_t frames() const { return train_ids.size(); }
};

// InputError for a train recorded twice by one module or a pulse twice within a module's train.
FramePlan plan_frames(const EuxfelRun& run, const IdRange& trains, const IdRange& pulses);

}  // namespace xpulse::io
