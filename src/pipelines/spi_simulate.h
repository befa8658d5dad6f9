#pragma once
// `xpulse simulate spi`: read a PDB structure, simulate single-particle diffraction patterns (sim/spi_simulation.h)
// and write them with their geometry and truth.
#include <string>

#include "sim/spi_simulation.h"

namespace xpulse::pipelines {

struct SpiSimulateRequest {
  std::string pdb;
  std::string out;
  sim::SpiOptions options;
  bool include_water = false;
  unsigned threads = 1;
  std::string command_line;
};

struct SpiSimulateSummary {
  std::size_t atoms = 0;
  double electrons = 0;
  double mean_photons = 0;        // per image
  double edge_resolution = 0;     // angstrom, at the middle of a detector edge
  double seconds = 0;
};

// The PDB's atoms (biological assembly 1; waters only when asked) centred on their mean position.
sim::AtomSet load_molecule(const std::string& pdb, bool include_water);

SpiSimulateSummary simulate_spi_file(const SpiSimulateRequest& request);

}  // namespace xpulse::pipelines
