#pragma once
// A path through the first Brillouin zone between high-symmetry points, and the projection of reduced
// wavevectors onto it (using the lattice's point symmetry, so any symmetry-equivalent pixel counts).
#include <string>
#include <vector>

#include "geometry/lattice.h"

namespace xpulse::phonon {

struct PathPoint {
  std::string label;     // "G" (Gamma), "X", ... or the coordinates as given
  geometry::Vec3 hkl{};  // reciprocal-lattice units
};

// Parses "G X M G R": labels G (or Gamma) = (0,0,0), X = (1/2,0,0), Y = (0,1/2,0), Z = (0,0,1/2),
// M = (1/2,1/2,0), R = (1/2,1/2,1/2) in reciprocal-lattice units of the cell given, or explicit "h,k,l".
// At least two points; throws InvalidArgument naming a bad token.
std::vector<PathPoint> parse_path(const std::string& text);

class BrillouinPath {
 public:
  // width: largest distance (1/Angstrom) of a wavevector from the path for it to count.
  BrillouinPath(const geometry::Crystal& crystal, std::vector<PathPoint> points, double width);

  const std::vector<PathPoint>& points() const { return points_; }
  // Distance along the path (1/Angstrom) of each point; the last is the total length.
  const std::vector<double>& vertex_positions() const { return positions_; }
  double length() const { return positions_.back(); }
  double width() const { return width_; }

  // Position along the path (1/Angstrom) of the reduced wavevector xi (reciprocal-lattice units, as
  // NearestReflection::reduced_hkl), or NaN when no symmetry-equivalent of xi lies within `width` of the path.
  double locate(const geometry::Vec3& reduced_hkl) const;

 private:
  geometry::Crystal crystal_;
  std::vector<PathPoint> points_;
  std::vector<geometry::Vec3> cartesian_;  // points in 1/Angstrom
  std::vector<double> positions_;
  double width_;
};

}  // namespace xpulse::phonon
