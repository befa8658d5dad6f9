#pragma once
// Refinement of an indexed still's lattice against its peaks: the orientation (three small rotations about the lab
// axes), the cell parameters the lattice system leaves free (cubic a; tetragonal and hexagonal a, c; rhombohedral
// a, alpha; orthorhombic a, b, c; monoclinic a, b, c and the non-90 angle; triclinic all six) and the profile
// radius. Levenberg-Marquardt on, per peak, the predicted-minus-observed position on the detector (x, y in pixels,
// over the centroid scatter) and the excitation error (over the profile radius): a still shows only the direction
// of k_in + s, and the excitation error is what fixes the rotations about axes across the beam (DIALS' DeltaPsi
// for stills). The two scales are re-estimated between rounds from the residuals (the excitation error's as
// rho^2 + eta^2 |s|^2: domain size and mosaic spread); peaks beyond 5 of them are set aside, the position scale
// taken from the median distance so that a few peaks of another lattice cannot hide. The profile radius is the 95th percentile of the kept peaks' |excitation error| (what xsphere
// prediction needs to cover the observed spots).
#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "geometry/detector.h"
#include "geometry/lattice.h"
#include "sfx/centering.h"

namespace xpulse::sfx {

struct PeakObservation {
  double x = 0, y = 0;            // centroid, pixels
  std::array<int, 3> hkl{};       // as indexed
};

struct RefinedLattice {
  geometry::Mat3 ub{};            // columns a*, b*, c* (lab, 1/Angstrom)
  geometry::UnitCell cell;
  double profile_radius = 0;      // 1/Angstrom
  double rms_px = 0;              // rms position residual of the kept peaks
  std::size_t used = 0;           // peaks kept
  std::vector<std::uint8_t> kept; // per peak given: whether the refinement kept it
};

// Starts from UB = U B(cell); the detector gives the wavelength and the pixel geometry. Needs >= 6 peaks
// (returns the start otherwise, with rms and radius of the start).
RefinedLattice refine_lattice(const geometry::Detector& detector, const geometry::Mat3& u,
                              const geometry::UnitCell& cell, std::span<const PeakObservation> peaks);

}  // namespace xpulse::sfx
