#pragma once
// The reflections a refined still lattice puts on the detector, with their partiality:
//   xsphere (CrystFEL's sphere model): the fraction of a sphere of radius R (the profile radius) about the
//     reciprocal-lattice point that lies between the Ewald spheres of the beam's lowest and highest wavenumber
//     (k (1 -+ bandwidth / 2)), each taken as a plane across the sphere: fraction below distance e of the centre
//     u^2 (3 - 2 u), u = (e + R) / 2R;
//   offset: a Gaussian of the excitation error, exp(-eps^2 / (2 (R / 2)^2)), predicted out to |eps| <= 1.5 R;
//   unity: 1 for every reflection within R (+ the shell's half-width) of the Ewald sphere.
// A reflection is predicted when allowed by the centering, within the resolution limit, partiality >= 0.01 and
// its spot centre on the detector.
#include <array>
#include <string>
#include <vector>

#include "geometry/detector.h"
#include "sfx/centering.h"

namespace xpulse::sfx {

enum class PartialityModel { xsphere, offset, unity };
PartialityModel parse_partiality_model(const std::string& name);  // InvalidArgument naming the choices

struct PredictionOptions {
  PartialityModel model = PartialityModel::xsphere;
  double bandwidth = 0.002;      // relative width of the spectrum (full)
  double min_partiality = 0.01;
  double d_min = 0;              // Angstrom; 0: the detector's reach
  void validate() const;
};

struct PredictedReflection {
  std::array<int, 3> hkl{};
  double x = 0, y = 0;           // spot centre, pixels
  double partiality = 0;
  double d = 0;                  // resolution, Angstrom
  double excitation_error = 0;   // 1/Angstrom
};

// Partiality of a reflection with excitation error eps (1/Angstrom) at |s| for profile radius R.
double partiality(PartialityModel model, double eps, double s_length, double k, double bandwidth, double radius);

std::vector<PredictedReflection> predict_reflections(const geometry::Detector& detector, const geometry::Mat3& ub,
                                                     Centering centering, double profile_radius,
                                                     const PredictionOptions& options);

}  // namespace xpulse::sfx
