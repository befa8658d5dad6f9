#pragma once
// Reader of Protein Data Bank files (the fixed-column PDB format): ATOM/HETATM records of the first model,
// first alternate location only, element from columns 77-78 (or, when blank, from the atom name), occupancy;
// the CRYST1 unit cell; and the BIOMT operators of biological assembly 1 (REMARK 350).
#include <array>
#include <optional>
#include <string>
#include <vector>

namespace xpulse::io {

struct PdbAtom {
  std::array<double, 3> position{};  // angstrom
  std::string element;               // "C", "ZN" (upper case)
  double occupancy = 1.0;
  bool water = false;                // residue HOH/WAT/DOD
};

struct PdbCell {
  double a = 0, b = 0, c = 0;             // angstrom
  double alpha = 0, beta = 0, gamma = 0;  // degrees
  std::string space_group;
};

struct PdbAssemblyOperator {
  std::array<std::array<double, 3>, 3> rotation{};
  std::array<double, 3> translation{};  // angstrom
};

struct PdbStructure {
  std::vector<PdbAtom> atoms;
  std::optional<PdbCell> cell;
  std::vector<PdbAssemblyOperator> assembly;  // of biomolecule 1; empty when the file has none
};

// Throws IoError for a missing or unreadable file and InputError (naming the line) for a malformed record or
// a file without atoms.
PdbStructure read_pdb(const std::string& path);

// The atoms of biological assembly 1 (every BIOMT operator applied), or the atoms themselves without BIOMT.
// Waters are left out unless include_water.
std::vector<PdbAtom> assembly_atoms(const PdbStructure& structure, bool include_water = false);

}  // namespace xpulse::io
