#pragma once
// Experiment geometry (detector, photon energy, sample lattice and orientation) from an xpulse/CXI HDF5 file
// and an optional TOML file whose values override the HDF5 ones.
//
// HDF5 paths (ARCHITECTURE.md): /entry_1/instrument_1/detector_1/{distance, x_pixel_size, y_pixel_size} [m],
// {beam_center_x, beam_center_y} [pixel], /entry_1/instrument_1/source_1/energy [eV], and for the sample
// /entry_1/sample_1/unit_cell [a, b, c (Angstrom), alpha, beta, gamma (degree)] with
// /entry_1/sample_1/orientation_matrix (U, 3x3), or /entry_1/sample_1/ub_matrix (UB, 3x3, 1/Angstrom).
//
// TOML (every key optional; unknown keys are errors so that typos do not pass silently):
//   [detector]  distance, x_pixel_size, y_pixel_size, pixel_size (both) [m]; beam_center_x, beam_center_y
//               [pixel]; tilt = [x, y, z] (degrees, about x then y then z, around the beam centre) or
//               rotation = 3x3 matrix
//   [source]    energy [eV]; polarization_fraction (of the intensity polarised along lab x, default 1)
//   [sample]    cell = [a, b, c, alpha, beta, gamma]; orientation = 3x3 U or orientation_euler = [x, y, z]
//               (degrees); or ub = 3x3 (q_lab = 2 pi UB hkl, 1/Angstrom)
#include <optional>
#include <string>
#include <vector>

#include "geometry/detector.h"
#include "geometry/lattice.h"

namespace xpulse::io {

class Reader;
class Writer;

struct ExperimentGeometry {
  geometry::Detector detector;
  std::optional<geometry::Crystal> crystal;  // absent when neither file describes the sample
  std::string description;                   // where the values came from, for summaries
};

// Loads and validates the geometry for a detector of ny x nx pixels. Either path may be empty. Throws
// InputError naming the missing or bad quantity and where it may be given.
ExperimentGeometry load_geometry(const std::string& hdf5_path, const std::string& toml_path, std::size_t ny,
                                 std::size_t nx);

// The photon energy at /entry_1/instrument_1/source_1/energy in eV (units eV, keV or J; none is eV), or nullopt
// when the file has none. InputError for other units.
std::optional<double> read_photon_energy_ev(const Reader& in, const std::string& path);

// Writes the geometry under the CXI paths above, so that outputs carry what they were computed with.
void write_geometry(Writer& writer, const ExperimentGeometry& geometry);

}  // namespace xpulse::io
