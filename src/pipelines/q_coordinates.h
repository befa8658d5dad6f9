#pragma once
// What `xpulse dispersion` and `xpulse spectra` share: the geometry of an input, the per-pixel momentum maps,
// the binning coordinate (|q - G|, |q| or a Brillouin-zone path) and its bins, and how they are written.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/geometry_file.h"
#include "phonon/brillouin_path.h"
#include "phonon/dispersion_binning.h"
#include "phonon/momentum_maps.h"

namespace xpulse::io {
class Writer;
}
namespace xpulse::runtime {
class ThreadPool;
}

namespace xpulse::pipelines {

struct QBinningRequest {
  std::string geometry_hdf5;   // HDF5 file with CXI geometry (may be empty)
  std::string geometry_toml;   // --geometry (may be empty)
  std::size_t q_bins = 40;
  double q_max = 0.0;          // upper edge, 1/Angstrom; 0: the largest coordinate of the pixels used
  std::string path;            // --path "G X M G R"; empty: bin by |q - G|
  double path_width = 0.0;     // 1/Angstrom; 0: 5% of the shortest reciprocal basis vector
};

struct QCoordinates {
  io::ExperimentGeometry geometry;
  std::unique_ptr<phonon::BrillouinPath> path;
  phonon::MomentumMaps maps;
};

// From a geometry already in hand (its geometry_hdf5/geometry_toml are not used).
QCoordinates q_coordinates(io::ExperimentGeometry geometry, const QBinningRequest& request, runtime::ThreadPool& pool);

// Loads the geometry from request.geometry_hdf5 / geometry_toml for an ny x nx detector, then as above.
QCoordinates resolve_q_coordinates(const QBinningRequest& request, std::size_t ny, std::size_t nx,
                                   runtime::ThreadPool& pool);

// Bins over [0, q_max] (or the whole path); throws InputError when no pixel is usable.
phonon::BinEdges choose_bins(const QBinningRequest& request, const QCoordinates& q,
                             const std::vector<std::uint8_t>& used);

// /maps/{q, hkl, q_reduced, coordinate, polarization, solid_angle}, the geometry, and under `group` the path
// (path_positions, attributes path_labels) and the coordinate's name.
void write_q_coordinates(io::Writer& writer, const QCoordinates& q, const std::string& group);

}  // namespace xpulse::pipelines
