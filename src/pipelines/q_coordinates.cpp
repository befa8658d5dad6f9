#include "pipelines/q_coordinates.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "io/hdf5.h"
#include "runtime/thread_pool.h"

namespace xpulse::pipelines {

namespace {

void validate_binning(const QBinningRequest& r) {
  if (r.q_bins < 1) throw InvalidArgument("--q-bins must be >= 1");
  if (!(r.q_max >= 0.0) || !std::isfinite(r.q_max)) throw InvalidArgument("--q-max must be positive (1/Angstrom)");
}

}  // namespace

QCoordinates resolve_q_coordinates(const QBinningRequest& r, std::size_t ny, std::size_t nx,
                                   runtime::ThreadPool& pool) {
  validate_binning(r);
  return q_coordinates(io::load_geometry(r.geometry_hdf5, r.geometry_toml, ny, nx), r, pool);
}

QCoordinates q_coordinates(io::ExperimentGeometry geometry, const QBinningRequest& r, runtime::ThreadPool& pool) {
  validate_binning(r);
  geometry.detector.validate();
  QCoordinates out;
  out.geometry = std::move(geometry);
  if (!r.path.empty()) {
    if (!out.geometry.crystal) {
      throw InputError("--path needs the sample's unit cell and orientation (/entry_1/sample_1 in the input or "
                       "[sample] in a --geometry file)");
    }
    double width = r.path_width;
    if (width == 0.0) {
      double shortest = 1e300;
      for (int c = 0; c < 3; ++c) {
        geometry::Vec3 e{};
        e[c] = 1.0;
        shortest = std::min(shortest, geometry::norm(out.geometry.crystal->to_lab(e)));
      }
      width = 0.05 * shortest;
    }
    out.path = std::make_unique<phonon::BrillouinPath>(*out.geometry.crystal, phonon::parse_path(r.path), width);
  }
  out.maps = phonon::momentum_maps(out.geometry.detector, out.geometry.crystal, out.path.get(), pool);
  return out;
}

phonon::BinEdges choose_bins(const QBinningRequest& r, const QCoordinates& q, const std::vector<std::uint8_t>& used) {
  phonon::BinEdges edges;
  edges.count = r.q_bins;
  edges.lo = 0.0;
  double top = 0.0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < used.size(); ++i) {
    if (used[i] && std::isfinite(q.maps.coordinate[i])) {
      top = std::max(top, q.maps.coordinate[i]);
      ++n;
    }
  }
  if (n == 0) {
    throw InputError(q.path ? "no usable pixel lies within --path-width of the path (widen it or check the geometry)"
                            : "no pixel passes the quality thresholds (see --status, --max-chi2, --min-snr)");
  }
  if (q.path) top = q.path->length();
  if (r.q_max > 0.0) top = r.q_max;
  edges.hi = top > 0.0 ? top : 1.0;
  edges.validate();
  return edges;
}

void write_q_coordinates(io::Writer& w, const QCoordinates& q, const std::string& group) {
  const auto& d = q.geometry.detector;
  const std::vector<std::size_t> map = {d.ny, d.nx}, vec = {d.ny, d.nx, 3};
  const auto& m = q.maps;
  w.write<float>("/maps/q", m.q, vec, "1/angstrom");
  w.attribute("/maps/q", "description", "q = k_out - k_in in the lab frame (z along the beam), |k| = 2 pi / lambda");
  if (!m.hkl.empty()) {
    w.write<float>("/maps/hkl", m.hkl, vec, "r.l.u.");
    w.attribute("/maps/hkl", "description", "fractional Miller indices: q = 2 pi UB hkl");
  }
  w.write<float>("/maps/q_reduced", m.q_reduced, map, "1/angstrom");
  w.attribute("/maps/q_reduced", "description",
              q.geometry.crystal ? "|q - G|, G the nearest reciprocal-lattice point" : "|q| (no sample lattice given)");
  std::vector<float> coordinate(m.coordinate.begin(), m.coordinate.end());
  w.write<float>("/maps/coordinate", coordinate, map, "1/angstrom");
  w.attribute("/maps/coordinate", "description",
              fmt::format("binning coordinate: {}; NaN off the path", m.coordinate_label()));
  w.write<float>("/maps/polarization", m.polarization, map);
  w.write<float>("/maps/solid_angle", m.solid_angle, map, "sr");
  io::write_geometry(w, q.geometry);
  w.attribute(group, "coordinate", m.coordinate_label());
  if (q.path) {
    std::vector<std::string> labels;
    for (const auto& p : q.path->points()) labels.push_back(p.label);
    w.write<double>(group + "/path_positions", q.path->vertex_positions(),
                    std::vector<std::size_t>{labels.size()}, "1/angstrom");
    w.attribute(group + "/path_positions", "labels", fmt::format("{}", fmt::join(labels, " ")));
    w.attribute(group, "path", fmt::format("{}", fmt::join(labels, " ")));
    w.attribute(group, "path_width", q.path->width());
  }
}

}  // namespace xpulse::pipelines
