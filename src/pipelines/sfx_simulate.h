#pragma once
// `xpulse simulate sfx`: serial crystallography stills of a PDB structure's crystal (sim/sfx_simulation.h),
// written as CXI with the truth (hit flags, orientations, every spot with its photons and expected error).
#include <string>

#include "sim/sfx_simulation.h"

namespace xpulse::pipelines {

struct SfxSimulateRequest {
  std::string pdb;
  std::string out;
  sim::SfxOptions options;
  unsigned threads = 1;
  std::string device = "auto";  // cpu | cuda | auto: where the pixels are rendered
  int cuda_device = 0;
  bool progress = false;        // a line on stderr with the frames done, their rate and the time left
  std::string command_line;
};

struct SfxSimulateSummary {
  std::size_t hits = 0, spots = 0, reflections = 0;
  double resolution = 0;  // angstrom at the detector corner
  double seconds = 0;
  std::string device;  // "cpu" or "cuda"
};

// The crystal of a PDB file: the CRYST1 cell and the atoms of the whole cell (the space group's operators applied
// to the non-water atoms). InputError without CRYST1 or for an unknown space group.
struct Crystal {
  geometry::UnitCell cell;
  sim::AtomSet atoms;
};
Crystal load_crystal(const std::string& pdb);

SfxSimulateSummary simulate_sfx_file(const SfxSimulateRequest& request);

}  // namespace xpulse::pipelines
