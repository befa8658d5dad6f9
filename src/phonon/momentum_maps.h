#pragma once
// Per-pixel momentum transfer of a detector: q, Miller indices, reduced wavevector |q - G|, and the coordinate
// along which a dispersion is binned (|q - G|, |q| without a crystal, or the position along a Brillouin-zone
// path), plus the polarisation and solid-angle factors.
#include <optional>
#include <string>
#include <vector>

#include "geometry/detector.h"
#include "geometry/lattice.h"
#include "phonon/brillouin_path.h"

namespace xpulse::runtime {
class ThreadPool;
}

namespace xpulse::phonon {

enum class Coordinate { reduced, absolute, path };

struct MomentumMaps {  // per pixel, row-major [ny][nx]; 3-vectors as [ny][nx][3]
  Coordinate coordinate_kind = Coordinate::reduced;
  std::vector<float> q;               // lab frame, 1/Angstrom
  std::vector<float> hkl;             // fractional Miller indices; empty without a crystal
  std::vector<float> q_reduced;       // |q - G| (1/Angstrom); |q| without a crystal
  std::vector<double> coordinate;     // binning coordinate, 1/Angstrom; NaN off the path
  std::vector<float> polarization;    // polarisation factor
  std::vector<float> solid_angle;     // steradian
  std::string coordinate_label() const;  // "|q - G|", "|q|", "path"
};

// path may be null; it needs a crystal.
MomentumMaps momentum_maps(const geometry::Detector& detector, const std::optional<geometry::Crystal>& crystal,
                           const BrillouinPath* path, runtime::ThreadPool& pool);

}  // namespace xpulse::phonon
