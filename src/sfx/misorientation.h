#pragma once
// The angle between two orientations of the same lattice, modulo the lattice's own rotations: indexing can only
// fix an orientation up to the point group of the lattice's metric (its holohedry).
#include "geometry/lattice.h"

namespace xpulse::sfx {

// Smallest rotation angle (degrees) of UB_a (UB_b S)^-1 over the proper operations S of the metric symmetry of
// `cell` (geometry::Crystal::point_group). Both UB matrices have columns a*, b*, c*.
double misorientation_deg(const geometry::Mat3& ub_a, const geometry::Mat3& ub_b, const geometry::UnitCell& cell);

}  // namespace xpulse::sfx
