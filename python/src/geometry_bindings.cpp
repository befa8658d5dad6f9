// xpulse.Detector, xpulse.Crystal, xpulse.load_geometry and xpulse.momentum_maps: per-pixel q, Miller indices,
// polarisation and solid angle, as the file pipelines compute them.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "geometry_bindings.h"
#include "core/error.h"
#include "geometry/detector.h"
#include "geometry/lattice.h"
#include "io/geometry_file.h"
#include "pipelines/q_coordinates.h"
#include "runtime/thread_pool.h"

namespace xpulse::python {
namespace {

using geometry::Crystal;
using geometry::Detector;
using geometry::Mat3;
using geometry::Vec3;

// Pixel coordinates to evaluate at: the whole ny x nx grid (shape [ny, nx]) or y and x broadcast together.
struct PixelCoordinates {
  std::vector<py::ssize_t> shape;
  std::vector<double> y, x;
};

PixelCoordinates pixel_coordinates(const Detector& d, const py::object& y, const py::object& x) {
  PixelCoordinates p;
  if (y.is_none() != x.is_none()) throw InvalidArgument("give both y and x (pixel coordinates) or neither");
  if (y.is_none()) {
    p.shape = {static_cast<py::ssize_t>(d.ny), static_cast<py::ssize_t>(d.nx)};
    for (std::size_t r = 0; r < d.ny; ++r) {
      for (std::size_t c = 0; c < d.nx; ++c) {
        p.y.push_back(static_cast<double>(r));
        p.x.push_back(static_cast<double>(c));
      }
    }
    return p;
  }
  const py::tuple both = py::module_::import("numpy").attr("broadcast_arrays")(y, x);
  const auto ya = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(both[0]);
  const auto xa = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(both[1]);
  if (!ya || !xa) throw InputError("y and x must be numbers (pixel coordinates)");
  p.shape = shape_of(ya);
  p.y.assign(ya.data(), ya.data() + ya.size());
  p.x.assign(xa.data(), xa.data() + xa.size());
  return p;
}

// f(detector, y, x) at every coordinate: a scalar or a 3-vector per pixel.
template <class F>
py::array evaluate(const Detector& d, const py::object& y, const py::object& x, F f) {
  d.validate();
  PixelCoordinates p = pixel_coordinates(d, y, x);
  using Result = decltype(f(d, 0.0, 0.0));
  constexpr bool vector = std::is_same_v<Result, Vec3>;
  std::vector<double> out(p.y.size() * (vector ? 3 : 1));
  {
    py::gil_scoped_release release;
    for (std::size_t i = 0; i < p.y.size(); ++i) {
      if constexpr (vector) {
        const Vec3 v = f(d, p.y[i], p.x[i]);
        for (int c = 0; c < 3; ++c) out[3 * i + c] = v[c];
      } else {
        out[i] = f(d, p.y[i], p.x[i]);
      }
    }
  }
  if (vector) p.shape.push_back(3);
  return to_numpy(std::move(out), p.shape);
}

// An array [..., 3] as flat doubles with its leading shape.
struct Vectors {
  std::vector<py::ssize_t> leading;
  std::vector<Vec3> values;
};

Vectors vectors(const py::object& values, const std::string& what) {
  const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(values);
  if (!a || a.ndim() < 1 || a.shape(a.ndim() - 1) != 3) {
    throw InputError(fmt::format("{} must be an array of 3-vectors (last axis of length 3)", what));
  }
  Vectors v;
  v.leading.assign(a.shape(), a.shape() + a.ndim() - 1);
  v.values.resize(static_cast<std::size_t>(a.size() / 3));
  for (std::size_t i = 0; i < v.values.size(); ++i) {
    for (int c = 0; c < 3; ++c) v.values[i][c] = a.data()[3 * i + c];
  }
  return v;
}

template <class F>
py::array map_vectors(const py::object& values, const std::string& what, F f) {
  const Vectors in = vectors(values, what);
  std::vector<double> out(3 * in.values.size());
  for (std::size_t i = 0; i < in.values.size(); ++i) {
    const Vec3 r = f(in.values[i]);
    for (int c = 0; c < 3; ++c) out[3 * i + c] = r[c];
  }
  std::vector<py::ssize_t> shape = in.leading;
  shape.push_back(3);
  return to_numpy(std::move(out), shape);
}

std::pair<double, double> pair_of(const py::object& value, const std::string& what) {
  if (py::isinstance<py::float_>(value) || py::isinstance<py::int_>(value)) {
    const double v = value.cast<double>();
    return {v, v};
  }
  const auto a = doubles(value, {2}, what);
  return {a.at(0), a.at(1)};
}

Detector make_detector(const std::pair<std::size_t, std::size_t>& shape, double distance, const py::object& pixel_size,
                       const py::object& beam_center, double energy, const py::object& rotation,
                       const py::object& tilt, double polarization_fraction) {
  Detector d;
  d.ny = shape.first;
  d.nx = shape.second;
  if (d.ny == 0 || d.nx == 0) throw InputError("detector shape must be at least 1 x 1 pixels");
  d.distance_m = distance;
  std::tie(d.y_pixel_size_m, d.x_pixel_size_m) = pair_of(pixel_size, "pixel_size (y, x)");
  std::tie(d.beam_center_y_px, d.beam_center_x_px) = pair_of(beam_center, "beam_center (y, x)");
  d.energy_ev = energy;
  if (!rotation.is_none() && !tilt.is_none()) throw InvalidArgument("give the detector rotation or its tilt, not both");
  if (!rotation.is_none()) d.rotation = to_mat3(rotation, "rotation");
  if (!tilt.is_none()) {
    const auto t = doubles(tilt, {3}, "tilt (degrees about x, y, z)");
    d.rotation = geometry::rotation_xyz_deg(t.at(0), t.at(1), t.at(2));
  }
  d.polarization_fraction = polarization_fraction;
  d.validate();
  return d;
}

Crystal make_crystal(const py::object& cell, const py::object& orientation, const py::object& euler) {
  const auto c = doubles(cell, {6}, "cell (a, b, c in Angstrom, alpha, beta, gamma in degrees)");
  const geometry::UnitCell uc{c.at(0), c.at(1), c.at(2), c.at(3), c.at(4), c.at(5)};
  if (!orientation.is_none() && !euler.is_none()) throw InvalidArgument("give the orientation or euler, not both");
  Mat3 u = geometry::kIdentity;
  if (!orientation.is_none()) u = to_mat3(orientation, "orientation");
  if (!euler.is_none()) {
    const auto e = doubles(euler, {3}, "euler (degrees about x, y, z)");
    u = geometry::rotation_xyz_deg(e.at(0), e.at(1), e.at(2));
  }
  return Crystal(uc, u);
}

constexpr const char* kDetectorDoc = R"(A flat area detector.

Lab frame: z along the incident beam, x along detector columns, y along rows. The direct beam meets the detector
at pixel beam_center = (y, x), `distance` metres from the sample; a tilted detector is rotated about that point.

Detector(shape, distance, pixel_size, beam_center, energy, *, rotation=None, tilt=None, polarization_fraction=1)
    shape (ny, nx) pixels; distance [m]; pixel_size [m], one value or (y, x); beam_center (y, x) [pixel];
    energy [eV]; rotation: 3x3 matrix, or tilt (x, y, z) [degree] applied about x, then y, then z;
    polarization_fraction: of the intensity polarised along lab x (1: horizontal undulator, 0.5: unpolarised).

Per-pixel methods take optional pixel coordinates y, x (arrays, broadcast together, fractional allowed) and
otherwise evaluate the whole [ny, nx] grid.)";

constexpr const char* kCrystalDoc = R"(A crystal lattice and its orientation (Busing & Levy: q = 2 pi U B hkl).

Crystal(cell, orientation=None, *, euler=None)
    cell (a, b, c [Angstrom], alpha, beta, gamma [degree]); orientation U: a 3x3 rotation, or euler (x, y, z)
    [degree] applied about x, then y, then z; default the identity.
Crystal.from_ub(ub): from the orientation matrix UB [1/Angstrom].)";

constexpr const char* kMomentumDoc = R"(Per-pixel momentum transfer maps, as /maps in `xpulse dispersion` output.

Parameters
----------
detector : Detector
crystal : Crystal, optional
    Without it, the coordinate is |q|.
path : str, optional
    Brillouin-zone path, e.g. "G X M G R" (labels G X Y Z M R or "h,k,l"); the coordinate becomes the position
    along it (NaN for pixels farther than path_width from it, symmetry-equivalents included). Needs a crystal.
path_width : float, optional
    1/Angstrom; default 5% of the shortest reciprocal basis vector.
threads : int, optional

Returns
-------
dict: q [ny, nx, 3] (lab frame, 1/Angstrom), hkl [ny, nx, 3] (fractional Miller indices; with a crystal),
q_reduced [ny, nx] (|q - G| with a crystal, else |q|; 1/Angstrom), coordinate [ny, nx] (1/Angstrom),
coordinate_label, polarization [ny, nx], solid_angle [ny, nx] (sr), and with a path path_positions
(1/Angstrom) and path_labels.)";

}  // namespace

// Shared with the dispersion bindings: the per-pixel coordinate of a detector (and crystal, and path).
pipelines::QCoordinates coordinates_for(const Detector& detector, const std::optional<Crystal>& crystal,
                                        const pipelines::QBinningRequest& request, unsigned threads) {
  io::ExperimentGeometry geometry{detector, crystal, "given in Python"};
  py::gil_scoped_release release;
  runtime::ThreadPool pool(threads);
  return pipelines::q_coordinates(std::move(geometry), request, pool);
}

void add_path(py::dict& out, const pipelines::QCoordinates& q) {
  if (!q.path) return;
  std::vector<double> positions = q.path->vertex_positions();
  const auto n = static_cast<py::ssize_t>(positions.size());
  out["path_positions"] = to_numpy(std::move(positions), {n});
  py::list labels;
  for (const auto& p : q.path->points()) labels.append(p.label);
  out["path_labels"] = labels;
  out["path_width"] = q.path->width();
}

void bind_geometry(py::module_& m) {
  py::class_<Detector>(m, "Detector", kDetectorDoc)
      .def(py::init(&make_detector), py::arg("shape"), py::arg("distance"), py::arg("pixel_size"),
           py::arg("beam_center"), py::arg("energy"), py::kw_only(), py::arg("rotation") = py::none(),
           py::arg("tilt") = py::none(), py::arg("polarization_fraction") = 1.0)
      .def_property_readonly("shape", [](const Detector& d) { return py::make_tuple(d.ny, d.nx); })
      .def_readwrite("distance", &Detector::distance_m, "sample to beam centre along the beam [m]")
      .def_readwrite("x_pixel_size", &Detector::x_pixel_size_m, "[m]")
      .def_readwrite("y_pixel_size", &Detector::y_pixel_size_m, "[m]")
      .def_readwrite("beam_center_x", &Detector::beam_center_x_px, "[pixel]")
      .def_readwrite("beam_center_y", &Detector::beam_center_y_px, "[pixel]")
      .def_readwrite("energy", &Detector::energy_ev, "photon energy [eV]")
      .def_readwrite("polarization_fraction", &Detector::polarization_fraction,
                     "fraction of the intensity polarised along lab x")
      .def_property(
          "rotation", [](const Detector& d) { return from_mat3(d.rotation); },
          [](Detector& d, const py::object& r) { d.rotation = to_mat3(r, "rotation"); }, "tilt about the beam centre (3x3)")
      .def_property_readonly("wavelength", &Detector::wavelength_angstrom, "[Angstrom]")
      .def("q", [](const Detector& d, const py::object& y, const py::object& x) {
            return evaluate(d, y, x, [](const Detector& dd, double yy, double xx) {
              return geometry::scattering_vector(dd, yy, xx);
            });
          }, "Momentum transfer q = k_out - k_in (lab frame, |k| = 2 pi / lambda) [1/Angstrom], shape [..., 3].",
          py::arg("y") = py::none(), py::arg("x") = py::none())
      .def("two_theta", [](const Detector& d, const py::object& y, const py::object& x) {
            return evaluate(d, y, x, geometry::two_theta);
          }, "Scattering angle 2 theta [rad].", py::arg("y") = py::none(), py::arg("x") = py::none())
      .def("polarization", [](const Detector& d, const py::object& y, const py::object& x) {
            return evaluate(d, y, x, geometry::polarization_factor);
          }, "Polarisation factor (measured = factor x unpolarised intensity; 1 at the beam centre).",
          py::arg("y") = py::none(), py::arg("x") = py::none())
      .def("solid_angle", [](const Detector& d, const py::object& y, const py::object& x) {
            return evaluate(d, y, x, geometry::solid_angle);
          }, "Solid angle of each pixel [sr].", py::arg("y") = py::none(), py::arg("x") = py::none())
      .def("__repr__", [](const Detector& d) {
        return fmt::format("xpulse.Detector(shape=({}, {}), distance={} m, pixel_size=({}, {}) m, beam_center=({}, {}) px, "
                           "energy={} eV)",
                           d.ny, d.nx, d.distance_m, d.y_pixel_size_m, d.x_pixel_size_m, d.beam_center_y_px,
                           d.beam_center_x_px, d.energy_ev);
      });

  py::class_<Crystal>(m, "Crystal", kCrystalDoc)
      .def(py::init(&make_crystal), py::arg("cell"), py::arg("orientation") = py::none(), py::kw_only(),
           py::arg("euler") = py::none())
      .def_static("from_ub", [](const py::object& ub) { return Crystal::from_ub(to_mat3(ub, "ub")); },
                  "Crystal from the orientation matrix UB [1/Angstrom] (q = 2 pi UB hkl).", py::arg("ub"))
      .def_property_readonly("cell", [](const Crystal& c) {
            const auto& u = c.cell();
            return py::make_tuple(u.a, u.b, u.c, u.alpha, u.beta, u.gamma);
          }, "(a, b, c [Angstrom], alpha, beta, gamma [degree])")
      .def_property_readonly("orientation", [](const Crystal& c) { return from_mat3(c.orientation()); }, "U (3x3)")
      .def_property_readonly("ub", [](const Crystal& c) { return from_mat3(c.ub()); }, "UB = U B [1/Angstrom]")
      .def_property_readonly("point_group", [](const Crystal& c) {
            std::vector<double> all;
            for (const Mat3& s : c.point_group())
              for (const Vec3& row : s) all.insert(all.end(), row.begin(), row.end());
            return to_numpy(std::move(all), {static_cast<py::ssize_t>(c.point_group().size()), 3, 3});
          }, "Point symmetry of the lattice metric: integer matrices S acting on hkl, shape [n, 3, 3].")
      .def("hkl", [](const Crystal& c, const py::object& q) {
            return map_vectors(q, "q", [&](const Vec3& v) { return c.miller(v); });
          }, "Fractional Miller indices of q [1/Angstrom, lab frame], shape [..., 3].", py::arg("q"))
      .def("q", [](const Crystal& c, const py::object& hkl) {
            return map_vectors(hkl, "hkl", [&](const Vec3& h) { return c.to_lab(h); });
          }, "Lab-frame q = 2 pi UB hkl [1/Angstrom] of Miller indices, shape [..., 3].", py::arg("hkl"))
      .def("nearest", [](const Crystal& c, const py::object& q) {
            const Vectors in = vectors(q, "q");
            const std::size_t n = in.values.size();
            std::vector<std::int32_t> hkl(3 * n);
            std::vector<double> reduced_hkl(3 * n), reduced_q(3 * n), norm(n);
            for (std::size_t i = 0; i < n; ++i) {
              const geometry::NearestReflection g = c.nearest(in.values[i]);
              for (int k = 0; k < 3; ++k) {
                hkl[3 * i + k] = g.hkl[k];
                reduced_hkl[3 * i + k] = g.reduced_hkl[k];
                reduced_q[3 * i + k] = g.reduced_q[k];
              }
              norm[i] = g.reduced_norm;
            }
            std::vector<py::ssize_t> vec = in.leading;
            vec.push_back(3);
            py::dict out;
            out["hkl"] = to_numpy(std::move(hkl), vec);
            out["reduced_hkl"] = to_numpy(std::move(reduced_hkl), vec);
            out["reduced_q"] = to_numpy(std::move(reduced_q), vec);
            out["reduced_norm"] = to_numpy(std::move(norm), in.leading);
            return out;
          },
          "The nearest reciprocal-lattice point G of each q [1/Angstrom]: dict hkl (int32 [..., 3]), reduced_hkl "
          "(h - hkl, r.l.u.), reduced_q (q - G, lab frame, 1/Angstrom), reduced_norm (|q - G|, 1/Angstrom).",
          py::arg("q"))
      .def("__repr__", [](const Crystal& c) {
        const auto& u = c.cell();
        return fmt::format("xpulse.Crystal(cell=({}, {}, {}, {}, {}, {}))", u.a, u.b, u.c, u.alpha, u.beta, u.gamma);
      });

  m.def("load_geometry",
        [](const py::object& hdf5, const py::object& toml, const std::pair<std::size_t, std::size_t>& shape) {
          const io::ExperimentGeometry g =
              io::load_geometry(path_string(hdf5), path_string(toml), shape.first, shape.second);
          return py::make_tuple(g.detector, g.crystal ? py::cast(*g.crystal) : py::none());
        },
        R"(Experiment geometry from an xpulse/CXI HDF5 file and/or a TOML file (whose values override), as the
command line's --data/--geometry. Returns (Detector, Crystal or None). See examples/geometry.toml for the keys.)",
        py::arg("hdf5") = py::none(), py::arg("toml") = py::none(), py::kw_only(), py::arg("shape"));

  m.def("momentum_maps",
        [](const Detector& detector, const std::optional<Crystal>& crystal, const std::string& path,
           double path_width, const py::object& threads) {
          pipelines::QBinningRequest request;
          request.path = path;
          request.path_width = path_width;
          pipelines::QCoordinates q = coordinates_for(detector, crystal, request, thread_count(threads));
          const auto ny = static_cast<py::ssize_t>(detector.ny), nx = static_cast<py::ssize_t>(detector.nx);
          phonon::MomentumMaps& maps = q.maps;
          py::dict out;
          out["q"] = to_numpy(std::move(maps.q), {ny, nx, 3});
          if (!maps.hkl.empty()) out["hkl"] = to_numpy(std::move(maps.hkl), {ny, nx, 3});
          out["q_reduced"] = to_numpy(std::move(maps.q_reduced), {ny, nx});
          out["coordinate"] = to_numpy(std::move(maps.coordinate), {ny, nx});
          out["coordinate_label"] = maps.coordinate_label();
          out["polarization"] = to_numpy(std::move(maps.polarization), {ny, nx});
          out["solid_angle"] = to_numpy(std::move(maps.solid_angle), {ny, nx});
          add_path(out, q);
          return out;
        },
        kMomentumDoc, py::arg("detector"), py::arg("crystal") = py::none(), py::kw_only(), py::arg("path") = "",
        py::arg("path_width") = 0.0, py::arg("threads") = py::none());
}

}  // namespace xpulse::python
