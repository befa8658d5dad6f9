#pragma once
// A fit map of a recorded run as a picture for the dashboard: /fit/<parameter> of the first of the run's output
// files that holds it, coloured with viridis between its 2nd and 98th percentiles (pixels without a value grey),
// fitted into 320 x 320 pixels (whole-pixel enlargement, nearest-pixel reduction). Only the given output files
// are ever opened.
#include <optional>
#include <string>
#include <vector>

namespace xpulse::pipelines {

struct FitMapImage {
  std::string png;         // the bytes of a PNG file
  double low = 0, high = 0;  // the values at the two ends of the colour scale
  std::string units;       // of the values
  std::string file;        // the output file it came from
};

// nullopt when no output file is a readable HDF5 file with a 2-D /fit/<parameter>. `parameter` must be a plain
// name (letters, digits, underscore): InvalidArgument otherwise.
std::optional<FitMapImage> render_fit_map(const std::vector<std::string>& outputs, const std::string& parameter);

}  // namespace xpulse::pipelines
