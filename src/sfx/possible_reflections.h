#pragma once
// How many unique reflections a cell and its symmetry allow in each resolution shell: the denominator of
// completeness. Every hkl within the resolution is enumerated, absent ones dropped, and the representatives of
// the asymmetric unit counted (with anomalous data a Friedel pair counts twice unless it is centric). No I/O.
#include <cstddef>
#include <span>
#include <vector>

#include "geometry/lattice.h"
#include "sfx/merge_symmetry.h"

namespace xpulse::sfx {

// edges: shell edges in d (Angstrom, decreasing; sfx/merge_statistics.h); one count per shell.
std::vector<std::size_t> possible_reflections(const geometry::UnitCell& cell, const MergeSymmetry& symmetry,
                                              std::span<const double> edges);

}  // namespace xpulse::sfx
