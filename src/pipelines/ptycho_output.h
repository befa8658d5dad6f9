#pragma once
// The output file of `xpulse ptycho reconstruct`: the object, probe and positions, the per-iteration history, the
// final model's fit and the provenance. Shared by the offline run and the previews of a followed scan.
#include <string>

#include "pipelines/ptycho_input.h"
#include "ptycho/course.h"

namespace xpulse::pipelines {

struct PtychoReconstructRequest;

struct PtychoResult {
  const PtychoInput& input;
  const ptycho::PtychoState& state;
  const ptycho::ModelFit& fit;
  std::string course;             // describe_course's
  int shifted[2] = {0, 0};        // pixels the probe and object were rolled by
  std::size_t preview_frames = 0; // > 0: a preview of a scan still being written, from this many frames
};

// The course's phases in words: "dm x 2 (object only), then ...".
std::string describe_course(ptycho::Algorithm algorithm, const ptycho::CourseOptions& course);

// Writes `result` to `path` (a new HDF5 file; the caller renames it into place).
void write_ptycho_result(const std::string& path, const PtychoReconstructRequest& request, const PtychoResult& result);

}  // namespace xpulse::pipelines
