#pragma once
// Quality of a reconstructed object against the truth (REFERENCE.md section 4) over the illuminated region:
// the reconstruction is first moved by the sub-pixel translation, and multiplied by the complex factor and linear
// phase ramp, that fit the truth best (ptychography fixes neither the global phase nor, with probe refinement, the
// scale, a phase ramp shared by object and probe, and a translation of both); then
//   error = |gamma exp(i (a x + b y)) O - O_true| / |O_true|   over the region,
//   SSIM of the phases (Gaussian window sigma 1.5 pixels, constants 0.01 and 0.03 of the truth's phase range),
//   averaged over the region.
#include <complex>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ptycho/problem.h"

namespace xpulse::ptycho {

struct ObjectScore {
  double error = 0;
  double phase_ssim = 0;
  std::complex<double> factor{1, 0};  // gamma
  double ramp[2] = {0, 0};            // (a along rows, b along columns), radians per pixel
  double shift[2] = {0, 0};           // translation applied to the reconstruction (rows, columns), pixels
  std::size_t pixels = 0;             // in the region
  std::vector<cfloat> corrected;      // [ny][nx] the reconstruction after the factor and ramp
};

// recon and truth on the same ny x nx grid; region nonzero where scored. remove_ramp false fits gamma only;
// remove_shift false keeps the reconstruction where it is (the translation is searched within a quarter of the
// region's extent).
ObjectScore score_object(const std::vector<cfloat>& recon, const std::vector<cfloat>& truth,
                         const std::vector<std::uint8_t>& region, std::size_t ny, std::size_t nx, bool remove_ramp,
                         bool remove_shift = false);

// The region a scan lights: pixels whose summed |P|^2 over the windows reaches `fraction` of the largest.
std::vector<std::uint8_t> illuminated_region(const std::vector<cfloat>& probe, std::size_t n,
                                             const std::vector<Position>& positions, std::size_t ny,
                                             std::size_t nx, double fraction);

}  // namespace xpulse::ptycho
