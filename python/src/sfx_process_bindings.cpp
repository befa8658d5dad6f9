// xpulse.index_peaks and xpulse.integrate: the indexing, refinement and integration of `xpulse sfx process` on
// numpy arrays (src/sfx/still_processor.h), with the same bits as the command line for the same peaks.
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "core/error.h"
#include "geometry/detector.h"
#include "sfx/still_processor.h"

namespace xpulse::python {
namespace {

const char* kIndexDoc = R"(Index, then refine, a still's peaks with a known cell, as `xpulse sfx process` does.

peaks: [N, 2] peak centroids (x = column, y = row; pixel centres at integers), e.g. from find_peaks.
detector: an xpulse.Detector (distance, pixel size, beam centre, energy).
cell: (a, b, c, alpha, beta, gamma) in Angstrom and degrees; centering: P, A, B, C, I, F or R.
multi: most lattices; tolerance: largest |h - round(h)| of an indexed peak.
Returns a list of lattices, each a dict: ub [3, 3] (columns a*, b*, c* in the lab frame, 1/Angstrom, s = UB h),
cell [6], peaks (indices of the peaks it indexes), hkl [n, 3], rms_px, profile_radius [1/Angstrom].)";

const char* kIntegrateDoc = R"(Ring integration of spots in a frame, as `xpulse sfx process` does.

frame: [ny, nx] in ADU; positions: [M, 2] spot centres (x, y) in pixels; mask: [ny, nx] nonzero = bad.
int_radius: (peak disc, inner, outer background radius) in pixels; adu_per_photon converts to photons.
Returns a dict of [M] arrays: intensity and sigma (photons), background (photons per pixel), flags (1 masked,
2 saturated, 4 at the edge, 8 no background).)";

py::list index_peaks(const py::object& peaks, const geometry::Detector& detector, const std::vector<double>& cell,
                     const std::string& centering, std::size_t multi, double tolerance) {
  if (cell.size() != 6) throw InvalidArgument(fmt::format("cell must have 6 values, got {}", cell.size()));
  const auto xy = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(peaks);
  if (!xy || xy.ndim() != 2 || xy.shape(1) != 2) throw InputError("peaks must be an array [N, 2] of (x, y)");
  geometry::UnitCell c{cell[0], cell[1], cell[2], cell[3], cell[4], cell[5]};
  c.validate();
  detector.validate();
  if (multi < 1 || multi > 8) throw InvalidArgument(fmt::format("multi must lie in 1..8, got {}", multi));
  sfx::IndexerOptions options;
  options.tolerance = tolerance;
  const sfx::KnownCellIndexer indexer(c, sfx::parse_centering(centering), options);
  std::vector<sfx::Peak> found(static_cast<std::size_t>(xy.shape(0)));
  for (std::size_t i = 0; i < found.size(); ++i) {
    found[i].x = static_cast<float>(xy.at(i, 0)), found[i].y = static_cast<float>(xy.at(i, 1));
    if (!std::isfinite(found[i].x) || !std::isfinite(found[i].y)) throw InputError(fmt::format("peak {} is not finite", i));
  }
  std::vector<sfx::LatticeSolution> solutions;
  {
    py::gil_scoped_release release;
    solutions = sfx::index_and_refine(detector, indexer, found, multi);
  }
  py::list out;
  for (const auto& s : solutions) {
    std::vector<std::uint32_t> index(s.indexed.peaks);
    std::vector<std::int32_t> hkl;
    for (const auto& h : s.indexed.hkl) hkl.insert(hkl.end(), h.begin(), h.end());
    const auto n = static_cast<py::ssize_t>(index.size());
    const geometry::UnitCell& r = s.refined.cell;
    py::dict d;
    d["ub"] = from_mat3(s.refined.ub);
    d["cell"] = to_numpy(std::vector<double>{r.a, r.b, r.c, r.alpha, r.beta, r.gamma}, {6});
    d["peaks"] = to_numpy(std::move(index), {n});
    d["hkl"] = to_numpy(std::move(hkl), {n, 3});
    d["rms_px"] = s.refined.rms_px;
    d["profile_radius"] = s.refined.profile_radius;
    out.append(d);
  }
  return out;
}

py::dict integrate(const py::object& frame, const py::object& positions, const py::object& mask,
                   const std::vector<double>& radii, double adu_per_photon, double saturation) {
  const auto data = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(frame);
  if (!data || data.ndim() != 2) throw InputError("frame must be an array [ny, nx]");
  const auto xy = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(positions);
  if (!xy || xy.ndim() != 2 || xy.shape(1) != 2) throw InputError("positions must be an array [M, 2] of (x, y)");
  const auto ny = static_cast<std::size_t>(data.shape(0)), nx = static_cast<std::size_t>(data.shape(1));
  std::vector<std::uint8_t> bad;
  if (!mask.is_none()) {
    const auto mk = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(mask);
    if (!mk || shape_of(mk) != shape_of(data)) throw InputError(fmt::format("mask must have the frame's shape [{}, {}]", ny, nx));
    bad.assign(mk.data(), mk.data() + mk.size());
  }
  if (radii.size() != 3) throw InvalidArgument("int_radius must be three radii (peak, inner, outer)");
  sfx::IntegrationOptions o;
  o.radii = {radii[0], radii[1], radii[2]};
  o.radii.validate();
  if (!(adu_per_photon > 0)) throw InvalidArgument(fmt::format("adu_per_photon must be > 0, got {}", adu_per_photon));
  o.adu_per_photon = adu_per_photon, o.saturation = saturation;
  const auto m = static_cast<std::size_t>(xy.shape(0));
  std::vector<double> intensity(m), sigma(m), background(m);
  std::vector<std::uint8_t> flags(m);
  {
    py::gil_scoped_release release;
    for (std::size_t k = 0; k < m; ++k) {
      const sfx::IntegratedSpot s = sfx::integrate_ring(data.data(), bad.empty() ? nullptr : bad.data(), ny, nx,
                                                        xy.at(k, 0), xy.at(k, 1), o);
      intensity[k] = s.intensity, sigma[k] = s.sigma, background[k] = s.background, flags[k] = s.flags;
    }
  }
  const auto n = static_cast<py::ssize_t>(m);
  py::dict out;
  out["intensity"] = to_numpy(std::move(intensity), {n});
  out["sigma"] = to_numpy(std::move(sigma), {n});
  out["background"] = to_numpy(std::move(background), {n});
  out["flags"] = to_numpy(std::move(flags), {n});
  return out;
}

}  // namespace

void bind_sfx_process(py::module_& m) {
  m.def("index_peaks", &index_peaks, kIndexDoc, py::arg("peaks"), py::kw_only(), py::arg("detector"),
        py::arg("cell"), py::arg("centering") = "P", py::arg("multi") = 1, py::arg("tolerance") = 0.25);
  m.def("integrate", &integrate, kIntegrateDoc, py::arg("frame"), py::arg("positions"), py::kw_only(),
        py::arg("mask") = py::none(), py::arg("int_radius") = std::vector<double>{4, 5, 7},
        py::arg("adu_per_photon") = 1.0, py::arg("saturation") = std::numeric_limits<double>::infinity());
}

}  // namespace xpulse::python
