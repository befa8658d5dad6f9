#include "sfx/reflection_prediction.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "sfx/still_geometry.h"

namespace xpulse::sfx {
namespace {

using geometry::Vec3;

// Fraction of a sphere of radius r lying below a plane at signed distance e from its centre.
double cap_fraction(double e, double r) {
  const double u = std::clamp((e + r) / (2 * r), 0.0, 1.0);
  return u * u * (3 - 2 * u);
}

}  // namespace

PartialityModel parse_partiality_model(const std::string& name) {
  if (name == "xsphere") return PartialityModel::xsphere;
  if (name == "offset") return PartialityModel::offset;
  if (name == "unity") return PartialityModel::unity;
  throw InvalidArgument(fmt::format("--partiality must be xsphere, offset or unity; got '{}'", name));
}

void PredictionOptions::validate() const {
  if (!(bandwidth >= 0 && bandwidth < 0.5)) {
    throw InvalidArgument(fmt::format("--bandwidth must lie in [0, 0.5), got {}", bandwidth));
  }
  if (!(min_partiality > 0 && min_partiality <= 1)) {
    throw InvalidArgument(fmt::format("the smallest partiality must lie in (0, 1], got {}", min_partiality));
  }
  if (!(d_min >= 0) || !std::isfinite(d_min)) throw InvalidArgument(fmt::format("--d-min must be >= 0, got {}", d_min));
}

double partiality(PartialityModel model, double eps, double s_length, double k, double bandwidth, double radius) {
  // The Ewald shell's half-width at this |s|: the excitation error moves by about |s|^2 / (2 k) x dk / k.
  const double half_shell = 0.5 * bandwidth * s_length * s_length / (2 * k);
  switch (model) {
    case PartialityModel::xsphere:
      // Between the spheres: points of the reflection's sphere with excitation in [-half_shell, half_shell]
      // relative to its centre's eps.
      return cap_fraction(half_shell - eps, radius) - cap_fraction(-half_shell - eps, radius);
    case PartialityModel::offset: {
      if (std::abs(eps) > 1.5 * radius + half_shell) return 0;
      const double sigma = 0.5 * radius;
      return std::exp(-eps * eps / (2 * sigma * sigma));
    }
    case PartialityModel::unity: return std::abs(eps) <= radius + half_shell ? 1.0 : 0.0;
  }
  return 0;
}

std::vector<PredictedReflection> predict_reflections(const geometry::Detector& d, const geometry::Mat3& ub,
                                                     Centering centering, double radius,
                                                     const PredictionOptions& o) {
  const double k = 1 / d.wavelength_angstrom();
  // The detector's reach: the largest |s| of its corners (and d_min).
  double s_max = 0;
  for (double y : {-0.5, static_cast<double>(d.ny) - 0.5})
    for (double x : {-0.5, static_cast<double>(d.nx) - 0.5}) s_max = std::max(s_max, geometry::norm(pixel_to_s(d, x, y)));
  if (o.d_min > 0) s_max = std::min(s_max, 1 / o.d_min);
  const geometry::Mat3 real = geometry::inverse(ub);  // rows a, b, c: |h| <= |a| |s|
  int limit[3];
  for (int i = 0; i < 3; ++i) limit[i] = static_cast<int>(std::ceil(geometry::norm(real[i]) * s_max));
  std::vector<PredictedReflection> out;
  for (int h = -limit[0]; h <= limit[0]; ++h)
    for (int kk = -limit[1]; kk <= limit[1]; ++kk)
      for (int l = -limit[2]; l <= limit[2]; ++l) {
        if ((h == 0 && kk == 0 && l == 0) || !centering_allows(centering, h, kk, l)) continue;
        const Vec3 s = geometry::mul(ub, Vec3{double(h), double(kk), double(l)});
        const double length = geometry::norm(s);
        if (length > s_max) continue;
        const double eps = excitation_error(d, s);
        if (std::abs(eps) > 2 * radius + o.bandwidth * length * length / k) continue;  // cheap reject
        const double p = partiality(o.model, eps, length, k, o.bandwidth, radius);
        if (p < o.min_partiality) continue;
        double x = 0, y = 0;
        if (!s_to_pixel(d, s, x, y) || x < -0.5 || y < -0.5 || x > static_cast<double>(d.nx) - 0.5 ||
            y > static_cast<double>(d.ny) - 0.5) {
          continue;
        }
        out.push_back({{h, kk, l}, x, y, p, 1 / length, eps});
      }
  return out;
}

}  // namespace xpulse::sfx
