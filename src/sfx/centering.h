#pragma once
// Lattice centering and lattice system of a known unit cell, as the indexer and the predictor need them: which
// conventional Miller indices a centred lattice allows, and which centerings a cell's metric admits (as CrystFEL
// checks them): triclinic P; monoclinic P, A, B, C, I; orthorhombic P, A, B, C, I, F; tetragonal P, I;
// hexagonal axes P or R (R in the obverse hexagonal setting); rhombohedral axes P; cubic P, I, F.
#include <string>

#include "geometry/lattice.h"

namespace xpulse::sfx {

enum class Centering { P, A, B, C, I, F, R };
enum class LatticeSystem { triclinic, monoclinic, orthorhombic, tetragonal, rhombohedral, hexagonal, cubic };

// "P", "A", ... (one letter, either case); InvalidArgument naming the allowed letters otherwise.
Centering parse_centering(const std::string& text);
char centering_letter(Centering centering);
const char* lattice_system_name(LatticeSystem system);

// The highest-symmetry system whose constraints the cell meets (lengths equal to 1e-3 relative, angles to 0.01
// degree).
LatticeSystem lattice_system(const geometry::UnitCell& cell);

// InvalidArgument naming the cell's system and the centerings it allows when `centering` is not one of them.
void check_centering(const geometry::UnitCell& cell, Centering centering);

// Whether reflection hkl (conventional cell) is allowed by the centering (not a systematic absence).
inline bool centering_allows(Centering c, int h, int k, int l) {
  switch (c) {
    case Centering::P: return true;
    case Centering::A: return ((k + l) & 1) == 0;
    case Centering::B: return ((h + l) & 1) == 0;
    case Centering::C: return ((h + k) & 1) == 0;
    case Centering::I: return ((h + k + l) & 1) == 0;
    case Centering::F: return ((h + k) & 1) == 0 && ((k + l) & 1) == 0;
    case Centering::R: return ((-h + k + l) % 3 + 3) % 3 == 0;  // obverse setting
  }
  return true;
}

// "a,b,c,alpha,beta,gamma" in Angstrom and degrees; InvalidArgument naming the problem.
geometry::UnitCell parse_cell(const std::string& text);

}  // namespace xpulse::sfx
