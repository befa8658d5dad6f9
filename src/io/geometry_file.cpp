#include "io/geometry_file.h"

#include <array>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/error.h"
#include "io/hdf5.h"

namespace xpulse::io {
namespace {

const std::string kDetector = "/entry_1/instrument_1/detector_1/";
const std::string kSource = "/entry_1/instrument_1/source_1/";
const std::string kSample = "/entry_1/sample_1/";

// Every quantity is optional until the end, where the required ones are checked with a useful message.
struct PartialGeometry {
  std::optional<double> distance, x_pixel, y_pixel, center_x, center_y, energy, polarization;
  std::optional<geometry::Mat3> rotation;
  std::optional<std::array<double, 6>> cell;
  std::optional<geometry::Mat3> orientation, ub;
  std::vector<std::string> sources;
};

// Scale to metres of an HDF5 length unit attribute ("" is taken as metres, the CXI convention).
double metres_per(const std::string& units, const std::string& what) {
  if (units.empty() || units == "m" || units == "meter" || units == "metre") return 1.0;
  if (units == "mm") return 1e-3;
  if (units == "um" || units == "micron" || units == "micrometre" || units == "micrometer") return 1e-6;
  throw InputError(fmt::format("{} has units '{}'; expected m, mm or um", what, units));
}

geometry::Mat3 to_mat3(const std::vector<double>& v) {
  return {{{v[0], v[1], v[2]}, {v[3], v[4], v[5]}, {v[6], v[7], v[8]}}};
}

void read_hdf5(const std::string& path, PartialGeometry& g) {
  const Reader in(path);
  auto length = [&](const std::string& name, std::optional<double>& out) {
    const std::string p = kDetector + name;
    if (!in.exists(p)) return;
    out = in.read_scalar(p) * metres_per(in.string_attribute(p, "units"), fmt::format("'{}' in '{}'", p, path));
  };
  auto scalar = [&](const std::string& p, std::optional<double>& out) {
    if (in.exists(p)) out = in.read_scalar(p);
  };
  auto matrix = [&](const std::string& p, std::optional<geometry::Mat3>& out) {
    if (!in.exists(p)) return;
    if (in.info(p).dims != std::vector<std::size_t>{3, 3}) {
      throw InputError(fmt::format("'{}' in '{}' must be a 3x3 matrix", p, path));
    }
    out = to_mat3(in.read<double>(p));
  };
  length("distance", g.distance);
  length("x_pixel_size", g.x_pixel);
  length("y_pixel_size", g.y_pixel);
  scalar(kDetector + "beam_center_x", g.center_x);
  scalar(kDetector + "beam_center_y", g.center_y);
  matrix(kDetector + "rotation", g.rotation);
  g.energy = read_photon_energy_ev(in, path);
  scalar(kSource + "polarization_fraction", g.polarization);
  if (in.exists(kSample + "unit_cell")) {
    const std::vector<double> c = in.read<double>(kSample + "unit_cell");
    if (c.size() != 6) {
      throw InputError(fmt::format("'{}unit_cell' in '{}' must hold 6 numbers (a, b, c, alpha, beta, gamma)",
                                   kSample, path));
    }
    g.cell = std::array<double, 6>{c[0], c[1], c[2], c[3], c[4], c[5]};
  }
  matrix(kSample + "orientation_matrix", g.orientation);
  matrix(kSample + "ub_matrix", g.ub);
  g.sources.push_back(path);
}

class TomlReader {
 public:
  explicit TomlReader(const std::string& path) : path_(path) {
    try {
      root_ = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      const auto& where = e.source().begin;
      if (!std::ifstream(path)) throw InputError(fmt::format("geometry file '{}' cannot be opened", path));
      throw InputError(fmt::format("geometry file '{}' line {}, column {}: {}", path, where.line, where.column,
                                   e.description()));
    }
    for (auto&& [key, node] : root_) {
      if (key != "detector" && key != "source" && key != "sample") {
        throw InputError(fmt::format("geometry file '{}': unknown section or key '{}' (known: [detector], "
                                     "[source], [sample])",
                                     path_, key.str()));
      }
      if (!node.is_table()) throw InputError(fmt::format("geometry file '{}': '{}' must be a section", path_, key.str()));
    }
  }

  void check_keys(const std::string& section, const std::set<std::string>& known) const {
    const toml::table* t = root_[section].as_table();
    if (t == nullptr) return;
    for (auto&& [key, node] : *t) {
      if (!known.contains(std::string(key.str()))) {
        throw InputError(fmt::format("geometry file '{}': unknown key '{}' in [{}] (known: {})", path_, key.str(),
                                     section, fmt::join(known, ", ")));
      }
    }
  }

  void number(const std::string& section, const std::string& key, std::optional<double>& out) const {
    const toml::node_view<const toml::node> n = root_[section][key];
    if (!n) return;
    const std::optional<double> v = n.value<double>();
    if (!v) throw InputError(fmt::format("geometry file '{}': [{}] {} must be a number", path_, section, key));
    out = *v;
  }

  std::optional<std::vector<double>> numbers(const std::string& section, const std::string& key,
                                             std::size_t count) const {
    const toml::node_view<const toml::node> n = root_[section][key];
    if (!n) return std::nullopt;
    std::vector<double> values;
    auto bad = [&] {
      return InputError(fmt::format("geometry file '{}': [{}] {} must be {}", path_, section, key,
                                    count == 9 ? "a 3x3 array of numbers" : fmt::format("{} numbers", count)));
    };
    const toml::array* a = n.as_array();
    if (a == nullptr) throw bad();
    for (const toml::node& e : *a) {
      if (const toml::array* row = e.as_array()) {
        for (const toml::node& x : *row) {
          const auto v = x.value<double>();
          if (!v) throw bad();
          values.push_back(*v);
        }
      } else {
        const auto v = e.value<double>();
        if (!v) throw bad();
        values.push_back(*v);
      }
    }
    if (values.size() != count) throw bad();
    return values;
  }

 private:
  std::string path_;
  toml::table root_;
};

void read_toml(const std::string& path, PartialGeometry& g) {
  const TomlReader t(path);
  t.check_keys("detector", {"distance", "x_pixel_size", "y_pixel_size", "pixel_size", "beam_center_x",
                            "beam_center_y", "tilt", "rotation"});
  t.check_keys("source", {"energy", "polarization_fraction"});
  t.check_keys("sample", {"cell", "orientation", "orientation_euler", "ub"});
  t.number("detector", "distance", g.distance);
  std::optional<double> both;
  t.number("detector", "pixel_size", both);
  if (both) g.x_pixel = g.y_pixel = both;
  t.number("detector", "x_pixel_size", g.x_pixel);
  t.number("detector", "y_pixel_size", g.y_pixel);
  t.number("detector", "beam_center_x", g.center_x);
  t.number("detector", "beam_center_y", g.center_y);
  if (auto tilt = t.numbers("detector", "tilt", 3)) g.rotation = geometry::rotation_xyz_deg((*tilt)[0], (*tilt)[1], (*tilt)[2]);
  if (auto r = t.numbers("detector", "rotation", 9)) g.rotation = to_mat3(*r);
  t.number("source", "energy", g.energy);
  t.number("source", "polarization_fraction", g.polarization);
  if (auto c = t.numbers("sample", "cell", 6)) g.cell = std::array<double, 6>{(*c)[0], (*c)[1], (*c)[2], (*c)[3], (*c)[4], (*c)[5]};
  if (auto e = t.numbers("sample", "orientation_euler", 3)) {
    g.orientation = geometry::rotation_xyz_deg((*e)[0], (*e)[1], (*e)[2]);
    g.ub.reset();
  }
  if (auto u = t.numbers("sample", "orientation", 9)) {
    g.orientation = to_mat3(*u);
    g.ub.reset();
  }
  if (auto ub = t.numbers("sample", "ub", 9)) {
    g.ub = to_mat3(*ub);
    g.cell.reset();
    g.orientation.reset();
  }
  g.sources.push_back(path);
}

}  // namespace

std::optional<double> read_photon_energy_ev(const Reader& in, const std::string& path) {
  if (!in.exists(kSource + "energy")) return std::nullopt;
  const std::string units = in.string_attribute(kSource + "energy", "units");
  double scale = 1.0;
  if (units == "keV") {
    scale = 1e3;
  } else if (units == "J") {
    scale = 1.0 / 1.602176634e-19;  // CXI's own unit for the photon energy
  } else if (!units.empty() && units != "eV") {
    throw InputError(fmt::format("'{}energy' in '{}' has units '{}'; expected eV, keV or J", kSource, path, units));
  }
  return in.read_scalar(kSource + "energy") * scale;
}

ExperimentGeometry load_geometry(const std::string& hdf5_path, const std::string& toml_path, std::size_t ny,
                                 std::size_t nx) {
  PartialGeometry g;
  if (!hdf5_path.empty()) read_hdf5(hdf5_path, g);
  if (!toml_path.empty()) read_toml(toml_path, g);
  const std::string where = g.sources.empty() ? std::string("no geometry source was given")
                                              : fmt::format("not found in {}", fmt::join(g.sources, " or "));
  auto require = [&](const std::optional<double>& v, const std::string& what, const std::string& hdf5,
                     const std::string& toml) {
    if (!v) {
      throw InputError(fmt::format("geometry: {} is missing ({}); give it as {} in the input file or as {} in a "
                                   "--geometry TOML file",
                                   what, where, hdf5, toml));
    }
    return *v;
  };
  ExperimentGeometry out;
  auto& d = out.detector;
  d.ny = ny;
  d.nx = nx;
  d.distance_m = require(g.distance, "detector distance", kDetector + "distance", "[detector] distance");
  d.energy_ev = require(g.energy, "photon energy", kSource + "energy", "[source] energy");
  d.x_pixel_size_m = require(g.x_pixel, "x pixel size", kDetector + "x_pixel_size", "[detector] x_pixel_size");
  d.y_pixel_size_m = require(g.y_pixel, "y pixel size", kDetector + "y_pixel_size", "[detector] y_pixel_size");
  d.beam_center_x_px = require(g.center_x, "beam centre x", kDetector + "beam_center_x", "[detector] beam_center_x");
  d.beam_center_y_px = require(g.center_y, "beam centre y", kDetector + "beam_center_y", "[detector] beam_center_y");
  if (g.rotation) d.rotation = *g.rotation;
  if (g.polarization) d.polarization_fraction = *g.polarization;
  d.validate();
  if (g.ub) {
    out.crystal = geometry::Crystal::from_ub(*g.ub);
  } else if (g.cell) {
    const auto& c = *g.cell;
    out.crystal = geometry::Crystal(geometry::UnitCell{c[0], c[1], c[2], c[3], c[4], c[5]},
                                    g.orientation.value_or(geometry::kIdentity));
  } else if (g.orientation) {
    throw InputError("geometry: a sample orientation is given but no unit cell ([sample] cell or "
                     "/entry_1/sample_1/unit_cell)");
  }
  out.description = fmt::format("{}", fmt::join(g.sources, " + "));
  return out;
}

void write_geometry(Writer& w, const ExperimentGeometry& g) {
  const auto& d = g.detector;
  w.write_scalar(kDetector + "distance", d.distance_m, "m");
  w.write_scalar(kDetector + "x_pixel_size", d.x_pixel_size_m, "m");
  w.write_scalar(kDetector + "y_pixel_size", d.y_pixel_size_m, "m");
  w.write_scalar(kDetector + "beam_center_x", d.beam_center_x_px, "pixel");
  w.write_scalar(kDetector + "beam_center_y", d.beam_center_y_px, "pixel");
  std::vector<double> r;
  for (const auto& row : d.rotation) r.insert(r.end(), row.begin(), row.end());
  w.write<double>(kDetector + "rotation", r, std::vector<std::size_t>{3, 3});
  w.write_scalar(kSource + "energy", d.energy_ev, "eV");
  w.write_scalar(kSource + "polarization_fraction", d.polarization_fraction);
  if (g.crystal) {
    const auto& c = g.crystal->cell();
    w.write<double>(kSample + "unit_cell", std::vector<double>{c.a, c.b, c.c, c.alpha, c.beta, c.gamma},
                    std::vector<std::size_t>{6});
    w.attribute(kSample + "unit_cell", "description", "a, b, c [angstrom], alpha, beta, gamma [degree]");
    std::vector<double> u;
    for (const auto& row : g.crystal->orientation()) u.insert(u.end(), row.begin(), row.end());
    w.write<double>(kSample + "orientation_matrix", u, std::vector<std::size_t>{3, 3});
    std::vector<double> ub;
    for (const auto& row : g.crystal->ub()) ub.insert(ub.end(), row.begin(), row.end());
    w.write<double>(kSample + "ub_matrix", ub, std::vector<std::size_t>{3, 3}, "1/angstrom");
    w.attribute(kSample + "ub_matrix", "description", "q_lab = 2 pi UB hkl (Busing-Levy)");
  }
}

}  // namespace xpulse::io
