#pragma once
// The cell parameters a lattice system leaves free, as a vector for least squares, and back: cubic a; tetragonal
// and hexagonal a, c; rhombohedral a, alpha; orthorhombic a, b, c; monoclinic a, b, c and the non-90 angle;
// triclinic all six.
#include <cmath>
#include <vector>

#include "geometry/lattice.h"
#include "sfx/centering.h"

namespace xpulse::sfx {

struct CellParameters {
  LatticeSystem system;
  int free_angle = -1;  // monoclinic: which angle (0 alpha, 1 beta, 2 gamma) is not 90

  static CellParameters of(const geometry::UnitCell& cell) {
    CellParameters p{lattice_system(cell)};
    if (p.system == LatticeSystem::monoclinic) {
      const double angles[3] = {cell.alpha, cell.beta, cell.gamma};
      p.free_angle = 1;
      for (int a = 0; a < 3; ++a) {
        if (std::abs(angles[a] - 90) > 0.01) p.free_angle = a;
      }
    }
    return p;
  }

  // Whether packed parameter i is a length (else an angle).
  bool is_length(std::size_t i) const {
    switch (system) {
      case LatticeSystem::rhombohedral: return i == 0;
      case LatticeSystem::monoclinic: return i < 3;
      case LatticeSystem::triclinic: return i < 3;
      default: return true;
    }
  }

  std::vector<double> pack(const geometry::UnitCell& c) const {
    switch (system) {
      case LatticeSystem::cubic: return {c.a};
      case LatticeSystem::tetragonal:
      case LatticeSystem::hexagonal: return {c.a, c.c};
      case LatticeSystem::rhombohedral: return {c.a, c.alpha};
      case LatticeSystem::orthorhombic: return {c.a, c.b, c.c};
      case LatticeSystem::monoclinic: return {c.a, c.b, c.c, free_angle == 0 ? c.alpha : free_angle == 1 ? c.beta : c.gamma};
      case LatticeSystem::triclinic: return {c.a, c.b, c.c, c.alpha, c.beta, c.gamma};
    }
    return {};
  }
  geometry::UnitCell unpack(const double* p, const geometry::UnitCell& start) const {
    geometry::UnitCell c = start;
    switch (system) {
      case LatticeSystem::cubic: c.a = c.b = c.c = p[0]; break;
      case LatticeSystem::tetragonal:
      case LatticeSystem::hexagonal: c.a = c.b = p[0], c.c = p[1]; break;
      case LatticeSystem::rhombohedral: c.a = c.b = c.c = p[0], c.alpha = c.beta = c.gamma = p[1]; break;
      case LatticeSystem::orthorhombic: c.a = p[0], c.b = p[1], c.c = p[2]; break;
      case LatticeSystem::monoclinic:
        c.a = p[0], c.b = p[1], c.c = p[2];
        (free_angle == 0 ? c.alpha : free_angle == 1 ? c.beta : c.gamma) = p[3];
        break;
      case LatticeSystem::triclinic: c = {p[0], p[1], p[2], p[3], p[4], p[5]}; break;
    }
    return c;
  }
};

}  // namespace xpulse::sfx
