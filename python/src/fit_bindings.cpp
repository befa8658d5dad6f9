// xpulse.fit_damped_cosine: the pump-probe fit on numpy arrays, with the GIL released while it computes.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bindings.h"
#include "core/error.h"
#include "fit/band_fitter.h"
#include "fit/fit_maps.h"
#include "fit/fit_problem.h"
#include "fit/fit_status.h"

namespace xpulse::python {
namespace {

constexpr const char* kFitDoc = R"(Fit every trace of a pump-probe stack with a damped cosine.

    I(t) = offset + amplitude * exp(-damping * t) * cos(2 pi frequency t + phase),  t = delay - t0

by batched Levenberg-Marquardt seeded by linear prediction: the same solver, results and status codes as
`xpulse fit` (bit-identical on the same data).

Parameters
----------
data : numpy array [n_delay, ...]
    Intensities; any trailing shape (e.g. [n_delay, y, x], or [n_delay] for one trace), float32/float64 or any
    integer type, C-contiguous or not. A C-contiguous float32 array is used in place; others are converted.
delays : numpy array [n_delay]
    Delays in ps, strictly increasing. Delays before t0 are not fitted.
t0 : float
    Time zero in ps.
mask : numpy array of the trailing shape, optional
    Nonzero (or NaN) = bad pixel: status MASKED, not fitted.
model : str
    "damped-cosine" (5 parameters) or "damped-cosine-exp" (adds background * exp(-t / background_tau)).
threads : int, optional
    Worker threads (default: all cores the process may use).
max_iterations, tolerance : LM trial steps per pixel, and the relative chi2 change that ends a fit.
amp_threshold : float
    NO_SIGNAL when the amplitude is below this (data units).
min_snr : float
    NO_SIGNAL when amplitude / stderr(amplitude) is below this.
weights : None | "none" | "poisson" | numpy array like data
    Per-point weights 1/sigma^2, as `xpulse fit --weights`: none (chi2 in data units^2, errors scaled by it),
    "poisson" (sigma^2 = g max(I, g), g = adu_per_photon: chi2 ~1 for a right model, errors from the
    weights), or an array of weights shaped like data (0 drops a point).
adu_per_photon : float
    Data units per photon, for poisson weights.

Returns
-------
dict of numpy arrays of the trailing shape:
    frequency [THz], amplitude [data units], damping [1/ps], phase [rad], offset [data units]
    (+ background [data units], background_tau [ps]), stderr_<parameter> (same units),
    chi2 (reduced; data units^2, dimensionless when weighted), status (uint8: 0 converged, 1 max_iterations, 2 singular_hessian,
    3 masked, 4 no_signal, 5 non_finite_input), iterations (uint16).
    Parameters are NaN where no oscillation was found.

Raises
------
ValueError
    Bad input (shape, delays, options, all values non-finite), with the command line's message.
)";

py::dict fit_damped_cosine(const py::array& data, const py::array& delays_in, double t0, const py::object& mask_in,
                           const std::string& model, const py::object& threads_in, int max_iterations,
                           double tolerance, double amp_threshold, double min_snr, const py::object& weights_in,
                           double adu_per_photon) {
  if (data.ndim() < 1) throw InputError("data must have at least one dimension [delay, ...]");
  const py::dtype dtype = data.dtype();
  if (dtype.kind() != 'f' && dtype.kind() != 'i' && dtype.kind() != 'u') {
    throw InputError(fmt::format("data has dtype {}; expected float32, float64 or an integer type",
                                 py::str(static_cast<const py::handle&>(dtype)).cast<std::string>()));
  }
  const std::size_t n_delay = static_cast<std::size_t>(data.shape(0));
  const std::vector<py::ssize_t> shape = shape_of(data);
  const std::vector<py::ssize_t> trailing(shape.begin() + 1, shape.end());
  std::size_t pixels = 1;
  for (auto d : trailing) pixels *= static_cast<std::size_t>(d);
  if (n_delay == 0 || pixels == 0) throw InputError("data is empty");
  const auto delays = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(delays_in);
  if (!delays || delays.ndim() != 1) throw InputError("delays must be a 1-D array of numbers (ps)");
  if (static_cast<std::size_t>(delays.shape(0)) != n_delay) {
    throw InputError(fmt::format("delays have {} values but data has {} delays", delays.shape(0), n_delay));
  }

  fit::FitOptions options;
  options.model = fit::parse_model(model);
  options.t0_ps = t0;
  options.lm.max_iterations = max_iterations;
  options.lm.tolerance = tolerance;
  options.amp_threshold = amp_threshold;
  options.min_snr = min_snr;
  options.adu_per_photon = adu_per_photon;
  const bool weight_array = !weights_in.is_none() && !py::isinstance<py::str>(weights_in);
  if (weight_array) {
    options.weights = fit::WeightKind::dataset;
  } else if (!weights_in.is_none()) {
    const std::string name = weights_in.cast<std::string>();
    if (name == "poisson") {
      options.weights = fit::WeightKind::poisson;
    } else if (name != "none") {
      throw InputError(fmt::format("weights '{}' is not known; use None, 'none', 'poisson' or an array like data",
                                   name));
    }
  }
  options.validate();
  const fit::FitProblem problem =
      fit::FitProblem::make(std::span<const double>(delays.data(), n_delay), options);
  const unsigned threads = thread_count(threads_in);

  std::vector<std::uint8_t> mask;
  if (!mask_in.is_none()) {
    const auto m = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(mask_in);
    if (!m || std::vector<py::ssize_t>(m.shape(), m.shape() + m.ndim()) != trailing) {
      throw InputError("mask must have the trailing shape of data (one value per trace)");
    }
    mask.resize(pixels);
    for (std::size_t i = 0; i < pixels; ++i) mask[i] = !(m.data()[i] == 0.0);  // NaN counts as bad
  }

  // The fitted delays as C-contiguous float32 [delay][pixel]: the caller's memory when it already is.
  const py::object sliced = data[py::slice(static_cast<py::ssize_t>(problem.first_delay),
                                           static_cast<py::ssize_t>(n_delay), 1)];
  const auto traces = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(sliced);
  if (!traces) throw InputError("data cannot be converted to float32");
  py::array_t<float, py::array::c_style | py::array::forcecast> weights;
  if (weight_array) {
    const auto given = py::array::ensure(weights_in);
    if (!given || shape_of(given) != shape) throw InputError("weights must be an array of data's shape");
    weights = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(
        given[py::slice(static_cast<py::ssize_t>(problem.first_delay), static_cast<py::ssize_t>(n_delay), 1)]);
    if (!weights) throw InputError("weights cannot be converted to float32");
  }

  // A 1-D or N-D trailing shape is fitted as rows of the last axis.
  const std::size_t nx = trailing.empty() ? 1 : static_cast<std::size_t>(trailing.back());
  const std::size_t ny = pixels / nx;
  fit::FitMaps maps(ny, nx, options.model);
  {
    py::gil_scoped_release release;
    fit::BandFitterOptions backend;
    backend.threads = threads;
    const auto fitter = fit::BandFitter::create(problem, options, backend);
    fitter->fit(fit::Band{traces.data(), ny, nx, 0, weight_array ? weights.data() : nullptr},
                mask.empty() ? nullptr : mask.data(), maps);
  }
  if (maps.no_finite_input()) {
    throw InputError("data has no finite values after t0 in any unmasked pixel (all NaN/Inf)");
  }

  py::dict out;
  const auto names = fit::parameter_names(options.model);
  for (std::size_t a = 0; a < names.size(); ++a) {
    out[py::str(std::string(names[a]))] = to_numpy(std::move(maps.value[a]), trailing);
    out[py::str("stderr_" + std::string(names[a]))] = to_numpy(std::move(maps.std_error[a]), trailing);
  }
  out["chi2"] = to_numpy(std::move(maps.chi2_reduced), trailing);
  out["status"] = to_numpy(std::move(maps.status), trailing);
  out["iterations"] = to_numpy(std::move(maps.iterations), trailing);
  return out;
}

}  // namespace

void bind_fit(py::module_& m) {
  m.def("fit_damped_cosine", &fit_damped_cosine, kFitDoc, py::arg("data"), py::arg("delays"), py::kw_only(),
        py::arg("t0") = 0.0, py::arg("mask") = py::none(), py::arg("model") = "damped-cosine",
        py::arg("threads") = py::none(), py::arg("max_iterations") = fit::LmOptions{}.max_iterations,
        py::arg("tolerance") = fit::LmOptions{}.tolerance, py::arg("amp_threshold") = fit::FitOptions{}.amp_threshold,
        py::arg("min_snr") = fit::FitOptions{}.min_snr, py::arg("weights") = py::none(),
        py::arg("adu_per_photon") = fit::FitOptions{}.adu_per_photon);
  m.attr("FIT_STATUS_CODES") = std::string(fit::fit_status_legend());
}

}  // namespace xpulse::python
