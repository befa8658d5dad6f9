#pragma once
// What the geometry bindings share with other binding files.
#include <optional>

#include "bindings.h"
#include "geometry/detector.h"
#include "geometry/lattice.h"
#include "pipelines/q_coordinates.h"

namespace xpulse::python {

// The per-pixel momentum coordinates of a detector (and crystal, and request.path), computed without the GIL.
pipelines::QCoordinates coordinates_for(const geometry::Detector& detector,
                                        const std::optional<geometry::Crystal>& crystal,
                                        const pipelines::QBinningRequest& request, unsigned threads);

// path_positions, path_labels and path_width of q's Brillouin-zone path, when it has one.
void add_path(py::dict& out, const pipelines::QCoordinates& q);

}  // namespace xpulse::python
