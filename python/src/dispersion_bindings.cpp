// xpulse.dispersion: phonon dispersion from per-pixel fit results and the detector geometry, in memory.
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "core/error.h"
#include "geometry_bindings.h"
#include "phonon/fit_quality.h"
#include "pipelines/dispersion.h"

namespace xpulse::python {
namespace {

constexpr const char* kDispersionDoc = R"(Bin the phonon frequencies of well-fitted pixels along momentum transfer.

The same selection and binning as `xpulse dispersion` (bit-identical on the same fit and geometry): pixels whose
fit passes the quality cuts give f_phonon = frequency / harmonic; each bin's value is the inverse-variance weighted
mean, its error the standard error times the Birge ratio when the scatter exceeds the fit errors.

Parameters
----------
fit : dict
    As returned by fit_damped_cosine, [ny, nx]: frequency, stderr_frequency, amplitude, stderr_amplitude, chi2,
    status.
detector : Detector
crystal : Crystal, optional
    With it, pixels are binned by |q - G| (or along `path`); without, by |q|.
harmonic : int
    Observed frequency = harmonic x phonon frequency (2 for squeezed phonons in diffuse scattering).
q_bins : int
q_max : float, optional
    Upper bin edge (1/Angstrom); default the largest coordinate of the pixels used (or the path length).
path, path_width : str, float
    Bin along a Brillouin-zone path such as "G X M G R"; width in 1/Angstrom (default 5% of the shortest
    reciprocal basis vector).
status : str
    Fit statuses accepted, names or codes, e.g. "converged,max_iterations".
max_chi2 : float
    Largest reduced chi2 accepted.
min_snr : float
    Smallest amplitude / stderr(amplitude) accepted.
truth : numpy array [ny, nx], optional
    True phonon frequency per pixel (THz), binned with the same pixels and weights (e.g. simulate_pump_probe's
    truth["frequency"] / harmonic).
threads : int, optional

Returns
-------
dict: q (bin centres), q_mean, q_edges [1/Angstrom]; frequency, frequency_err, frequency_std [THz]; count (uint32);
truth_frequency [THz] when truth is given; coordinate_label; selection (the cuts, in words); and per pixel [ny, nx]:
phonon_frequency, phonon_frequency_err [THz], used (uint8); with a path: path_positions, path_labels, path_width.)";

std::vector<float> fit_map(const py::dict& fit, const char* name, const std::vector<py::ssize_t>& shape) {
  if (!fit.contains(name)) {
    throw InputError(fmt::format("fit has no '{}': pass the dict returned by fit_damped_cosine", name));
  }
  const auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(fit[name]);
  if (!a || shape_of(a) != shape) {
    throw InputError(fmt::format("fit['{}'] must be a [{}, {}] array (the detector's shape)", name, shape[0], shape[1]));
  }
  return {a.data(), a.data() + a.size()};
}

py::dict dispersion(const py::dict& fit, const geometry::Detector& detector,
                    const std::optional<geometry::Crystal>& crystal, int harmonic, std::size_t q_bins,
                    double q_max, const std::string& path, double path_width, const std::string& status,
                    double max_chi2, double min_snr, const py::object& truth_in, const py::object& threads) {
  const std::vector<py::ssize_t> shape = {static_cast<py::ssize_t>(detector.ny), static_cast<py::ssize_t>(detector.nx)};
  const std::vector<float> frequency = fit_map(fit, "frequency", shape),
                           frequency_err = fit_map(fit, "stderr_frequency", shape),
                           amplitude = fit_map(fit, "amplitude", shape),
                           amplitude_err = fit_map(fit, "stderr_amplitude", shape), chi2 = fit_map(fit, "chi2", shape);
  if (!fit.contains("status")) throw InputError("fit has no 'status': pass the dict returned by fit_damped_cosine");
  const auto status_map = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(fit["status"]);
  if (!status_map || shape_of(status_map) != shape) {
    throw InputError(fmt::format("fit['status'] must be a [{}, {}] array (the detector's shape)", shape[0], shape[1]));
  }
  std::vector<double> truth;
  if (!truth_in.is_none()) {
    const auto t = doubles(truth_in, shape, "truth");
    truth.assign(t.data(), t.data() + t.size());
  }
  phonon::FitQuality quality;
  quality.accepted_status = phonon::parse_statuses(status);
  quality.max_chi2 = max_chi2;
  quality.min_snr = min_snr;
  pipelines::QBinningRequest binning;
  binning.q_bins = q_bins;
  binning.q_max = q_max;
  binning.path = path;
  binning.path_width = path_width;
  const pipelines::QCoordinates q = coordinates_for(detector, crystal, binning, thread_count(threads));
  pipelines::Dispersion d;
  {
    py::gil_scoped_release release;
    d = pipelines::compute_dispersion(
        pipelines::FitResultView{frequency, frequency_err, amplitude, amplitude_err, chi2,
                                 std::span<const std::uint8_t>(status_map.data(), status_map.size())},
        q, binning, harmonic, quality, truth);
  }
  const auto bins = static_cast<py::ssize_t>(d.edges.count);
  py::dict out;
  out["q"] = to_numpy(std::move(d.binned.q_center), {bins});
  out["q_mean"] = to_numpy(std::move(d.binned.q_mean), {bins});
  out["q_edges"] = to_numpy(d.edges.edges(), {bins + 1});
  out["frequency"] = to_numpy(std::move(d.binned.frequency), {bins});
  out["frequency_err"] = to_numpy(std::move(d.binned.frequency_err), {bins});
  out["frequency_std"] = to_numpy(std::move(d.binned.frequency_std), {bins});
  out["count"] = to_numpy(std::vector<std::uint32_t>(d.binned.count.begin(), d.binned.count.end()), {bins});
  if (!d.truth_frequency.empty()) out["truth_frequency"] = to_numpy(std::move(d.truth_frequency), {bins});
  out["coordinate_label"] = q.maps.coordinate_label();
  out["selection"] = quality.describe();
  out["harmonic"] = harmonic;
  out["phonon_frequency"] = to_numpy(std::move(d.phonon), shape);
  out["phonon_frequency_err"] = to_numpy(std::move(d.phonon_err), shape);
  out["used"] = to_numpy(std::move(d.used), shape);
  add_path(out, q);
  return out;
}

}  // namespace

void bind_dispersion(py::module_& m) {
  const pipelines::QBinningRequest b;
  const phonon::FitQuality f;
  m.def("dispersion", &dispersion, kDispersionDoc, py::arg("fit"), py::arg("detector"),
        py::arg("crystal") = py::none(), py::kw_only(), py::arg("harmonic") = 2, py::arg("q_bins") = b.q_bins,
        py::arg("q_max") = b.q_max, py::arg("path") = b.path, py::arg("path_width") = b.path_width,
        py::arg("status") = "converged", py::arg("max_chi2") = f.max_chi2, py::arg("min_snr") = f.min_snr,
        py::arg("truth") = py::none(), py::arg("threads") = py::none());
}

}  // namespace xpulse::python
