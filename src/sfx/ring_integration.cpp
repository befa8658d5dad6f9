#include "sfx/ring_integration.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "core/shape.h"

namespace xpulse::sfx {
namespace {

// Background pixels beyond this many sigma of the plane (a neighbouring spot, a hot pixel) are left out; a lower
// cut would trim the upper tail of low Poisson counts and bias the background low.
constexpr double kReject = 5;

struct BackgroundPixel {
  double dx, dy, value;
};

// Least-squares plane a + b dx + c dy through the kept pixels; false when singular.
bool fit_plane(const std::vector<BackgroundPixel>& pixels, const std::vector<std::uint8_t>& keep, double plane[3]) {
  double m[3][3] = {}, v[3] = {};
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    if (!keep[i]) continue;
    const double f[3] = {1, pixels[i].dx, pixels[i].dy};
    for (int a = 0; a < 3; ++a) {
      v[a] += f[a] * pixels[i].value;
      for (int b = 0; b < 3; ++b) m[a][b] += f[a] * f[b];
    }
  }
  // Cramer's rule on the 3x3 normal equations.
  const auto det3 = [](const double (&x)[3][3]) {
    return x[0][0] * (x[1][1] * x[2][2] - x[1][2] * x[2][1]) - x[0][1] * (x[1][0] * x[2][2] - x[1][2] * x[2][0]) +
           x[0][2] * (x[1][0] * x[2][1] - x[1][1] * x[2][0]);
  };
  const double det = det3(m);
  if (!(std::abs(det) > 1e-9 * std::max(1.0, m[0][0] * m[1][1] * m[2][2]))) return false;
  for (int c = 0; c < 3; ++c) {
    double t[3][3];
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) t[a][b] = b == c ? v[a] : m[a][b];
    plane[c] = det3(t) / det;
  }
  return true;
}

}  // namespace

void RingRadii::validate() const {
  if (!(peak > 0 && inner >= peak && outer > inner && outer <= 64)) {
    throw InvalidArgument(fmt::format("--int-radius must be r1,r2,r3 with 0 < r1 <= r2 < r3 <= 64 pixels, got "
                                      "{:g},{:g},{:g}", peak, inner, outer));
  }
}

RingRadii parse_ring_radii(const std::string& text) {
  const std::vector<double> v = parse_number_list(text, "--int-radius", " of pixels");
  if (v.size() != 3) throw InvalidArgument(fmt::format("--int-radius '{}' must be three radii r1,r2,r3", text));
  RingRadii r{v[0], v[1], v[2]};
  r.validate();
  return r;
}

IntegratedSpot integrate_ring(const float* frame, const std::uint8_t* mask, std::size_t ny, std::size_t nx, double x,
                              double y, const IntegrationOptions& o) {
  IntegratedSpot spot;
  const double r1 = o.radii.peak, r2 = o.radii.inner, r3 = o.radii.outer;
  const long cx = std::lround(x), cy = std::lround(y), reach = static_cast<long>(std::ceil(r3)) + 1;
  std::vector<BackgroundPixel> background;
  std::vector<std::pair<double, double>> disc;  // (dx, dy) of the disc's pixels, then their values
  std::vector<double> disc_values;
  for (long yy = cy - reach; yy <= cy + reach; ++yy) {
    for (long xx = cx - reach; xx <= cx + reach; ++xx) {
      const double dx = static_cast<double>(xx) - x, dy = static_cast<double>(yy) - y, r = std::hypot(dx, dy);
      const bool in_disc = r <= r1, in_ring = r >= r2 && r <= r3;
      if (!in_disc && !in_ring) continue;
      if (xx < 0 || yy < 0 || xx >= static_cast<long>(nx) || yy >= static_cast<long>(ny)) {
        spot.flags |= kSpotEdge;
        continue;
      }
      const std::size_t i = static_cast<std::size_t>(yy) * nx + static_cast<std::size_t>(xx);
      if (mask && mask[i]) {
        if (in_disc) spot.flags |= kSpotMasked;
        continue;
      }
      if (in_disc) {
        if (frame[i] >= o.saturation) spot.flags |= kSpotSaturated;
        disc.emplace_back(dx, dy), disc_values.push_back(frame[i]);
      } else {
        background.push_back({dx, dy, frame[i]});
      }
    }
  }
  if (background.size() < 6) {
    spot.flags |= kSpotNoBackground;
    return spot;
  }
  std::vector<std::uint8_t> keep(background.size(), 1);
  double plane[3] = {0, 0, 0}, sigma = 0;
  std::size_t kept = background.size();
  for (int round = 0; round < 4; ++round) {
    if (!fit_plane(background, keep, plane)) {
      spot.flags |= kSpotNoBackground;
      return spot;
    }
    double sum = 0;
    for (std::size_t i = 0; i < background.size(); ++i) {
      if (!keep[i]) continue;
      const double r = background[i].value - (plane[0] + plane[1] * background[i].dx + plane[2] * background[i].dy);
      sum += r * r;
    }
    sigma = std::sqrt(sum / static_cast<double>(std::max<std::size_t>(1, kept - 3)));
    if (round == 3) break;
    std::size_t rejected = 0;
    for (std::size_t i = 0; i < background.size(); ++i) {
      const double r = background[i].value - (plane[0] + plane[1] * background[i].dx + plane[2] * background[i].dy);
      if (keep[i] && std::abs(r) > kReject * sigma) keep[i] = 0, ++rejected;
    }
    kept -= rejected;
    if (rejected == 0 || kept < 6) break;
  }
  double total = 0;
  for (std::size_t i = 0; i < disc.size(); ++i) {
    total += disc_values[i] - (plane[0] + plane[1] * disc[i].first + plane[2] * disc[i].second);
  }
  const double g = o.adu_per_photon, m = static_cast<double>(disc.size()), s = sigma / g;
  spot.intensity = total / g;
  spot.sigma = std::sqrt(std::max(spot.intensity, 0.0) + m * s * s + m * m * s * s / static_cast<double>(kept));
  spot.background = plane[0] / g;
  spot.pixels = disc.size();
  return spot;
}

}  // namespace xpulse::sfx
