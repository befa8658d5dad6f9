#include "phonon/brillouin_path.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::phonon {

std::vector<PathPoint> parse_path(const std::string& text) {
  std::vector<PathPoint> points;
  std::istringstream in(text);
  std::string token;
  while (in >> token) {
    std::string key = token;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::toupper(c); });
    if (key == "G" || key == "GAMMA" || key == "Γ") {
      points.push_back({"Γ", {0, 0, 0}});
    } else if (key == "X") {
      points.push_back({"X", {0.5, 0, 0}});
    } else if (key == "Y") {
      points.push_back({"Y", {0, 0.5, 0}});
    } else if (key == "Z") {
      points.push_back({"Z", {0, 0, 0.5}});
    } else if (key == "M") {
      points.push_back({"M", {0.5, 0.5, 0}});
    } else if (key == "R") {
      points.push_back({"R", {0.5, 0.5, 0.5}});
    } else {
      geometry::Vec3 h{};
      char c1 = 0, c2 = 0;
      std::istringstream coords(token);
      if (!(coords >> h[0] >> c1 >> h[1] >> c2 >> h[2]) || c1 != ',' || c2 != ',' || !coords.eof()) {
        throw InvalidArgument(fmt::format(
            "--path point '{}' is neither a label (G, X, Y, Z, M, R) nor coordinates h,k,l", token));
      }
      points.push_back({token, h});
    }
  }
  if (points.size() < 2) throw InvalidArgument("--path needs at least two points, e.g. \"G X M G R\"");
  return points;
}

BrillouinPath::BrillouinPath(const geometry::Crystal& crystal, std::vector<PathPoint> points, double width)
    : crystal_(crystal), points_(std::move(points)), width_(width) {
  if (!(width > 0.0) || !std::isfinite(width)) {
    throw InvalidArgument(fmt::format("--path-width must be positive (1/Angstrom), got {}", width));
  }
  positions_.push_back(0.0);
  for (std::size_t i = 0; i < points_.size(); ++i) {
    cartesian_.push_back(crystal_.to_lab(points_[i].hkl));
    if (i > 0) {
      const double len = geometry::norm(geometry::sub(cartesian_[i], cartesian_[i - 1]));
      if (!(len > 0.0)) {
        throw InvalidArgument(fmt::format("--path repeats the point '{}' (a segment of zero length)",
                                          points_[i].label));
      }
      positions_.push_back(positions_.back() + len);
    }
  }
}

double BrillouinPath::locate(const geometry::Vec3& xi) const {
  double best_distance = std::numeric_limits<double>::infinity();
  double best_position = std::numeric_limits<double>::quiet_NaN();
  for (const geometry::Mat3& s : crystal_.point_group()) {
    const geometry::Vec3 p = crystal_.to_lab(geometry::mul(s, xi));
    for (std::size_t i = 0; i + 1 < cartesian_.size(); ++i) {
      const geometry::Vec3 a = cartesian_[i];
      const geometry::Vec3 ab = geometry::sub(cartesian_[i + 1], a);
      const double len2 = geometry::dot(ab, ab);
      const double t = std::clamp(geometry::dot(geometry::sub(p, a), ab) / len2, 0.0, 1.0);
      const double d = geometry::norm(geometry::sub(p, geometry::add(a, geometry::scale(t, ab))));
      if (d < best_distance) {
        best_distance = d;
        best_position = positions_[i] + t * std::sqrt(len2);
      }
    }
  }
  return best_distance <= width_ ? best_position : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace xpulse::phonon
