#pragma once
// Structure factors of a crystal's reflections, F(hkl) = sum_j occ_j f_j(|s|) exp(2 pi i hkl . x_j) over the
// atoms of the unit cell (x_j fractional, f_j xraylib's form factor at q = 2 pi |s|, s = B hkl). Reflections sit
// on the integer lattice, so each element's sum is one type 1 NUFFT of its atoms onto the box of Miller indices
// (its memory and time grow with the box, not with the product of cell and resolution as a type 3 transform's
// would); the form factors then weight the elements' sums.
#include <array>
#include <complex>
#include <span>
#include <vector>

#include "geometry/lattice.h"
#include "sim/molecular_transform.h"

namespace xpulse::sim {

// F of each hkl; eps: the NUFFT's relative accuracy. InputError for an empty atom set.
std::vector<std::complex<double>> structure_factors(const AtomSet& cell_atoms, const geometry::UnitCell& cell,
                                                    std::span<const std::array<int, 3>> hkl, double eps,
                                                    unsigned threads);

}  // namespace xpulse::sim
