#pragma once
// Post-refinement of one still crystal against the current merge, in the spirit of CrystFEL's partialator and
// cctbx.xfel.merge's postrefinement: its scale G, Wilson B, two small rotations across the beam and the width of
// its reflections' profile are refined so that G exp(-B / 2d^2) P p(eps) I_h predicts its observations, by
// Levenberg-Marquardt with numeric derivatives (six parameters and a few hundred observations a crystal: the
// derivatives cost nothing worth deriving by hand) on residuals weighted by the error model's sigmas.
// The partiality models (sfx/reflection_prediction.h):
//   offset: a Gaussian of the excitation error whose variance is rho^2 + eta^2 |s|^2, the excitation scale that
//     sfx/lattice_refinement.h fits (domain size and mosaic spread); the start splits (R/2)^2 evenly between
//     the two terms at the crystal's median |s| (both must start above 0 to move: they are refined as logs);
//   xsphere: CrystFEL's sphere of radius R between the Ewald spheres of the bandwidth; R is refined;
//   unity: no orientation or width, only G and B.
// No I/O.
#include <array>
#include <span>

#include "geometry/mat3.h"
#include "sfx/reflection_prediction.h"

namespace xpulse::sfx {

struct CrystalModel {
  geometry::Mat3 ub{};          // columns a*, b*, c* (lab, 1/Angstrom)
  double k = 0;                 // 1 / wavelength
  double bandwidth = 0;         // relative
  double g = 1, b = 0;          // scale, Wilson B (Angstrom^2)
  double rx = 0, ry = 0;        // rotations about the lab x and y axes (radians), applied before UB
  double rho = 0, eta = 0;      // offset: profile width terms (1/Angstrom, and per |s|)
  double radius = 0;            // xsphere: profile radius (1/Angstrom)
};

// The partiality of reflection hkl of the crystal.
double model_partiality(const CrystalModel& c, const std::array<int, 3>& hkl, PartialityModel model);

struct PostRefinementTerm {
  std::array<int, 3> hkl{};
  double intensity = 0;         // photons, as measured
  double sigma = 0;             // the error model's, in photons
  double reference = 0;         // the merge's I_h
  double d = 0;                 // Angstrom
  double polarization = 1;
};

struct PostRefinementOptions {
  bool scale = true;            // G
  bool b_factor = false;        // B
  bool geometry = true;         // rotations and profile width (not for unity)
};

// The refined crystal; the weighted sum of squared residuals per term before and after in `cost_before/after`.
CrystalModel post_refine(const CrystalModel& start, std::span<const PostRefinementTerm> terms, PartialityModel model,
                         const PostRefinementOptions& options, double* cost_before = nullptr,
                         double* cost_after = nullptr);

}  // namespace xpulse::sfx
