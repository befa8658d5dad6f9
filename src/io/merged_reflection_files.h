#pragma once
// Writers of a merged reflection list in the formats refinement and merging programs read:
//   MTZ (CCP4): columns H K L IMEAN SIGIMEAN N (types H H H J Q I), with I(+) SIGI(+) I(-) SIGI(-) (K M K M)
//     instead of IMEAN/SIGIMEAN for anomalous data; the cell and space group set. Written with gemmi's MTZ
//     writer (Debian's gemmi-dev), which this file keeps from the rest of xpulse.
//   CrystFEL reflection list 2.0 (.hkl): "h k l I phase sigma(I) nmeas" rows, the point group as its symmetry.
// Both are written to the path given (callers write to a partial name and commit it).
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "geometry/lattice.h"

namespace xpulse::io {

struct MergedRow {
  std::array<int, 3> hkl{};
  double intensity = 0, sigma = 0;
  std::size_t observations = 0;
  bool minus = false;  // anomalous data: the Friedel mate (I-) of hkl
};

struct MergedListInfo {
  geometry::UnitCell cell;
  std::string space_group;   // Hermann-Mauguin, for MTZ
  std::string point_group;   // for CrystFEL's "Symmetry:"
  bool anomalous = false;
  double wavelength_angstrom = 0;
  std::string history;       // the command line
};

// A reference dataset read from an MTZ: its cell, space group and one intensity per hkl (the IMEAN-like column,
// else the squares of an amplitude column). InputError naming the file when it cannot be read or has neither.
struct ReferenceList {
  geometry::UnitCell cell;
  std::string space_group;
  std::string column;       // what was read, e.g. "IMEAN" or "FP^2"
  std::vector<std::array<int, 3>> hkl;
  std::vector<double> intensity;
};
ReferenceList read_mtz_reference(const std::string& path);

// InputError when the file cannot be written.
void write_mtz(const std::string& path, const std::vector<MergedRow>& rows, const MergedListInfo& info);
void write_crystfel_hkl(const std::string& path, const std::vector<MergedRow>& rows, const MergedListInfo& info);

}  // namespace xpulse::io
