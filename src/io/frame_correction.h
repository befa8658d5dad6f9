#pragma once
// A correction a ParallelReader applies to every box it reads: an input stage such as JUNGFRAU raw words to keV
// (pipelines/jungfrau_input.h). The reader reads the stored values as stored_type() and hands them over with the
// box's place in the dataset; the caller gets float (or double) values as if the file held them.
#include <cstddef>
#include <span>
#include <string>

#include "io/dtype.h"

namespace xpulse::io {

class FrameCorrection {
 public:
  virtual ~FrameCorrection() = default;
  virtual DType stored_type() const = 0;
  // Throws InputError naming the dataset when its shape does not suit the correction (e.g. constants of another
  // frame shape).
  virtual void check(std::span<const std::size_t> dims, const std::string& dataset) const = 0;
  // raw: the box [offset, offset + count) as stored_type(), dense row-major; out: the corrected box, dense.
  virtual void apply(const void* raw, std::span<const std::size_t> offset, std::span<const std::size_t> count,
                     float* out) = 0;
  virtual std::string describe() const = 0;  // for logs and summaries
  virtual std::string units() const = 0;     // of the corrected values
};

}  // namespace xpulse::io
