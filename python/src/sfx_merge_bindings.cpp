// xpulse.merge: the scaling, merging and statistics of `xpulse sfx merge` (pipelines/sfx_merge.h) on arrays of
// observations, without post-refinement (which needs each crystal's lattice: use the command line).
#include <cmath>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "core/error.h"
#include "pipelines/sfx_merge.h"
#include "sfx/centering.h"
#include "sfx/merge_symmetry.h"

namespace xpulse::python {
namespace {

const char* kMergeDoc = R"(Scale and merge observations of stills into one dataset, as `xpulse sfx merge` does.

hkl [N, 3] (as indexed), intensity and sigma [N] (photons), crystal [N] (0-based crystal of each observation),
d [N] (Angstrom); partiality [N] (None: every observation full, as --model unity) and polarization [N] (None: 1).
point_group: a point group ("mmm", "2/m", "321", ...) or space group ("P212121"); centering: the lattice's letter;
cell: (a, b, c, alpha, beta, gamma) for completeness. The options are the command line's.
Returns a dict: hkl [R, 3] (asymmetric unit), minus [R] (anomalous: Friedel mate), intensity, sigma, multiplicity,
d, half1, half2 [R]; statistics (a dict of per-shell arrays: d_max, d_min, unique, possible, completeness,
multiplicity, mean_i_over_sigma, cc_half, cc_half_sigma_tau, cc_star, r_split, and 'overall', a dict of the same);
crystals (g, b, rejected [C]); error_model (sd_fac, sd_b, sd_add).)";

py::dict shell_dict(const std::vector<sfx::ShellStatistics>& shells) {
  std::vector<double> d_max, d_min, unique, possible, completeness, multiplicity, isig, cc, cc_st, cc_star, r_split;
  for (const sfx::ShellStatistics& s : shells) {
    d_max.push_back(s.d_max), d_min.push_back(s.d_min), unique.push_back(static_cast<double>(s.unique));
    possible.push_back(static_cast<double>(s.possible)), completeness.push_back(s.completeness);
    multiplicity.push_back(s.multiplicity), isig.push_back(s.mean_i_over_sigma), cc.push_back(s.cc_half);
    cc_st.push_back(s.cc_half_sigma_tau), cc_star.push_back(s.cc_star), r_split.push_back(s.r_split);
  }
  const auto n = static_cast<py::ssize_t>(shells.size());
  py::dict out;
  for (auto& [name, v] : std::vector<std::pair<const char*, std::vector<double>*>>{
           {"d_max", &d_max}, {"d_min", &d_min}, {"unique", &unique}, {"possible", &possible},
           {"completeness", &completeness}, {"multiplicity", &multiplicity}, {"mean_i_over_sigma", &isig},
           {"cc_half", &cc}, {"cc_half_sigma_tau", &cc_st}, {"cc_star", &cc_star}, {"r_split", &r_split}}) {
    out[name] = to_numpy(std::move(*v), {n});
  }
  return out;
}

template <typename T>
py::array_t<T, py::array::c_style | py::array::forcecast> column(const py::object& o, std::size_t n, const char* name) {
  auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(o);
  if (!a || a.ndim() != 1 || static_cast<std::size_t>(a.shape(0)) != n) {
    throw InputError(fmt::format("{} must be an array [{}] like intensity", name, n));
  }
  return a;
}

py::dict merge(const py::object& hkl_in, const py::object& intensity_in, const py::object& sigma_in,
               const py::object& crystal_in, const py::object& d_in, const py::object& partiality_in,
               const py::object& polarization_in, const std::string& point_group, const std::string& centering,
               const std::vector<double>& cell, bool anomalous, const std::string& scale,
               const std::string& error_model, std::size_t iterations, double min_partiality, std::size_t shells,
               std::size_t min_measurements, unsigned threads) {
  const auto hkl = py::array_t<std::int32_t, py::array::c_style | py::array::forcecast>::ensure(hkl_in);
  if (!hkl || hkl.ndim() != 2 || hkl.shape(1) != 3) throw InputError("hkl must be an array [N, 3]");
  const std::size_t n = static_cast<std::size_t>(hkl.shape(0));
  const auto intensity = column<double>(intensity_in, n, "intensity"), sigma = column<double>(sigma_in, n, "sigma");
  const auto crystal = column<std::int64_t>(crystal_in, n, "crystal");
  const auto d = column<double>(d_in, n, "d");
  if (cell.size() != 6) throw InvalidArgument(fmt::format("cell must have 6 values, got {}", cell.size()));
  const geometry::UnitCell c{cell[0], cell[1], cell[2], cell[3], cell[4], cell[5]};
  c.validate();
  pipelines::SfxMergeRequest r;
  r.model = partiality_in.is_none() ? "unity" : "offset";
  r.scale = scale, r.error_model = error_model, r.iterations = iterations, r.min_partiality = min_partiality;
  r.shells = shells, r.min_measurements = min_measurements, r.threads = threads, r.anomalous = anomalous;
  pipelines::merge_options(r);
  const sfx::MergeSymmetry symmetry(point_group, sfx::centering_letter(sfx::parse_centering(centering)), anomalous);
  std::vector<sfx::Observation> observations;
  std::size_t crystals = 0;
  {
    const auto partiality = partiality_in.is_none() ? decltype(intensity)() : column<double>(partiality_in, n, "partiality");
    const auto polarization =
        polarization_in.is_none() ? decltype(intensity)() : column<double>(polarization_in, n, "polarization");
    for (std::size_t i = 0; i < n; ++i) {
      const std::array<int, 3> h{hkl.at(i, 0), hkl.at(i, 1), hkl.at(i, 2)};
      if (crystal.at(i) < 0) throw InputError(fmt::format("crystal[{}] is negative", i));
      if (!std::isfinite(intensity.at(i)) || !(sigma.at(i) > 0) || !(d.at(i) > 0)) {
        throw InputError(fmt::format("observation {} needs a finite intensity, sigma > 0 and d > 0", i));
      }
      if (symmetry.absent(h)) continue;
      sfx::Observation o;
      o.crystal = static_cast<std::uint32_t>(crystal.at(i)), o.index = symmetry.asu(h), o.hkl = h;
      o.intensity = intensity.at(i), o.sigma = sigma.at(i), o.d = d.at(i);
      o.partiality = partiality_in.is_none() ? 1.0 : partiality.at(i);
      o.polarization = polarization_in.is_none() ? 1.0 : polarization.at(i);
      observations.push_back(o);
      crystals = std::max<std::size_t>(crystals, o.crystal + 1);
    }
  }
  pipelines::MergedDataset m;
  {
    py::gil_scoped_release release;
    m = pipelines::merge_dataset(std::move(observations), crystals, {}, c, symmetry, r);
  }
  const auto& refl = m.result.reflections;
  const auto rn = static_cast<py::ssize_t>(refl.size());
  std::vector<std::int32_t> out_hkl;
  std::vector<std::uint8_t> minus;
  std::vector<double> i_out, s_out, mult, d_out, h1, h2;
  for (const sfx::MergedReflection& x : refl) {
    out_hkl.insert(out_hkl.end(), x.index.hkl.begin(), x.index.hkl.end());
    minus.push_back(x.index.minus), i_out.push_back(x.intensity), s_out.push_back(x.sigma);
    mult.push_back(static_cast<double>(x.observations)), d_out.push_back(x.d), h1.push_back(x.half1), h2.push_back(x.half2);
  }
  py::dict out;
  out["hkl"] = to_numpy(std::move(out_hkl), {rn, 3});
  out["minus"] = to_numpy(std::move(minus), {rn});
  out["intensity"] = to_numpy(std::move(i_out), {rn});
  out["sigma"] = to_numpy(std::move(s_out), {rn});
  out["multiplicity"] = to_numpy(std::move(mult), {rn});
  out["d"] = to_numpy(std::move(d_out), {rn});
  out["half1"] = to_numpy(std::move(h1), {rn});
  out["half2"] = to_numpy(std::move(h2), {rn});
  py::dict statistics = shell_dict(m.statistics.shells);
  py::dict overall = shell_dict({m.statistics.overall});
  py::dict flat;
  for (auto item : overall) flat[item.first] = item.second.cast<py::array_t<double>>().at(0);
  statistics["overall"] = flat;
  out["statistics"] = statistics;
  std::vector<double> g, b;
  std::vector<std::uint8_t> rejected;
  for (const sfx::CrystalScale& x : m.result.crystals) g.push_back(x.g), b.push_back(x.b), rejected.push_back(x.rejected);
  const auto cn = static_cast<py::ssize_t>(g.size());
  py::dict crystals_out;
  crystals_out["g"] = to_numpy(std::move(g), {cn});
  crystals_out["b"] = to_numpy(std::move(b), {cn});
  crystals_out["rejected"] = to_numpy(std::move(rejected), {cn});
  out["crystals"] = crystals_out;
  py::dict em;
  em["sd_fac"] = m.result.error_model.sd_fac, em["sd_b"] = m.result.error_model.sd_b;
  em["sd_add"] = m.result.error_model.sd_add;
  out["error_model"] = em;
  return out;
}

}  // namespace

void bind_sfx_merge(py::module_& m) {
  m.def("merge", &merge, kMergeDoc, py::arg("hkl"), py::arg("intensity"), py::arg("sigma"), py::arg("crystal"),
        py::arg("d"), py::kw_only(), py::arg("partiality") = py::none(), py::arg("polarization") = py::none(),
        py::arg("point_group"), py::arg("centering") = "P", py::arg("cell"), py::arg("anomalous") = false,
        py::arg("scale") = "linear", py::arg("error_model") = "ev11", py::arg("iterations") = 3,
        py::arg("min_partiality") = 0.3, py::arg("shells") = 10, py::arg("min_measurements") = 2,
        py::arg("threads") = 1);
}

}  // namespace xpulse::python
