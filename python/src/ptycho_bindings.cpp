// xpulse.simulate_ptycho, xpulse.ptycho_reconstruct, xpulse.ptycho_score: ptychography on numpy arrays, the same
// computations as `xpulse simulate ptycho`, `xpulse ptycho reconstruct` and `xpulse ptycho score`.
#include <complex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pybind11/complex.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "core/error.h"
#include "io/png_reader.h"
#include "ptycho/course.h"
#include "ptycho/engine.h"
#include "ptycho/probe_guess.h"
#include "ptycho/object_score.h"
#include "runtime/thread_pool.h"
#include "sim/ptycho_simulation.h"

namespace xpulse::python {
namespace {

using ptycho::cfloat;

constexpr const char* kSimulateDoc = R"doc(Simulate a ptychographic scan with known truth.

The same simulation as `xpulse simulate ptycho` (identical values for the same options and seed, for any thread
count): object (1 - 0.4 s) exp(-0.8 i s) of a Siemens star or grey image s, a focused or Gaussian probe of
nominal diameter 0.3 frame, raster or Fermat-spiral positions (whole pixels), far-field intensities |F(P O_j)|^2
with Poisson noise.

Parameters
----------
object : "siemens" or path of a PNG image
object_size, probe_size : int
probe_diameter : float
    Nominal probe diameter in pixels (0: 0.3 of probe_size).
probe : "focused" | "gaussian"
scan : "raster" | "spiral"
positions : int
overlap : float
    Of the nominal probe diameter; sets the step diameter (1 - overlap).
photons : float
    Per frame through a unit object.
position_jitter : float
    Standard deviation of the positions (pixels) before rounding.
noise : bool
seed : int
threads : int, optional

Returns
-------
dict: intensities [N, n, n] float32 (photons, zero frequency at (n/2, n/2)), positions [N, 2] int32 (row, column
of each frame's window), object [size, size] complex64, probe [n, n] complex64 (sqrt(photons)), pixel_size (m).)doc";

constexpr const char* kReconstructDoc = R"doc(Reconstruct object (and probe) from ptychographic frames.

The same engines as `xpulse ptycho reconstruct`: "epie", "dm" (difference map with relaxed modulus projection) or
"ml" (maximum likelihood, Gaussian amplitude or Poisson noise, by preconditioned conjugate gradient). Results are
identical for any thread count. Single process.

Parameters
----------
intensities : array [N, n, n]
    Measured intensities, zero frequency at pixel (n/2, n/2).
positions : array [N, 2]
    (row, column) of each frame's window in the object (whole pixels).
object_shape : (ny, nx), optional
    Default: the smallest that holds every window.
probe : array [n, n] complex, optional
    Starting probe; default from the mean diffraction pattern.
mask : array [n, n], optional
    Nonzero marks bad detector pixels.
algorithm, noise : str
iterations : int
    Of `algorithm`.
warm_up : int
    ML: difference-map iterations (probe refined) before ML.
probe_refine : bool
    Refine the probe after `probe_start` iterations of the object alone.
probe_start : int
centre_tolerance : float
    Pixels the refined probe's centre may leave the frame's centre before probe and object are rolled back
    together (0: off).
average : float
    ePIE, DM: the object and probe returned are the means over this last fraction of the iterations.
dm_alpha : float
    DM: 1 the difference map, 0 alternating projections (PtyPy's alpha).
dm_settle : float
    DM: fraction of its last iterations over which alpha falls linearly to 0 (0: constant alpha).
rpie : float
    ePIE: rPIE's object step regularisation r (1: ePIE).
epie_step, epie_probe_step, fourier_relax : float
seed : int
threads : int, optional
callback : callable, optional
    Called after every iteration with a dict (iteration, algorithm, cost, seconds, fft_seconds, step); returning
    False stops.

Returns
-------
dict: object [ny, nx] complex64, probe [n, n] complex64, history (dict of arrays: cost, seconds, fft_seconds,
step, probe_refined, and algorithm, a list of names), model_cost and expected_cost (the final model's cost, and
its mean if it were the truth and the frames photon counts),
shifted (rows, columns rolled to keep the probe centred), probe_guess_diameter (the nominal diameter in pixels of
the defocus fitted for the starting probe; NaN when one was given), warning (str, empty when the model's cost is
within twice its expected cost).)doc";

constexpr const char* kScoreDoc = R"doc(Error and phase SSIM of a reconstructed object against the truth.

The same measure as `xpulse ptycho score`: over `region` (default: where the truth probe at the truth positions
lights 10% of the maximum), after the best sub-pixel translation (with remove_shift), complex factor and (with
remove_ramp) linear phase ramp.

Parameters
----------
object, truth : arrays [ny, nx] complex (same grid)
region : array [ny, nx], optional
probe : array [n, n] complex, optional, and positions [N, 2]: for the default region
remove_ramp, remove_shift : bool

Returns
-------
dict: error, phase_ssim, factor (complex), ramp (rows, columns; rad per pixel), shift (rows, columns; pixels the
object was moved by), pixels, corrected [ny, nx].)doc";

std::vector<cfloat> complex_array(const py::object& values, const std::vector<py::ssize_t>& shape,
                                  const std::string& what) {
  const auto a = py::array_t<std::complex<float>, py::array::c_style | py::array::forcecast>::ensure(values);
  if (!a) throw InputError(fmt::format("{} must be an array of complex numbers", what));
  if (shape_of(a) != shape) {
    throw InputError(fmt::format("{} has the wrong shape (rank {}); expected [{}]", what, a.ndim(),
                                 fmt::join(shape, ", ")));
  }
  return {a.data(), a.data() + a.size()};
}

std::vector<ptycho::Position> positions_of(const py::object& positions, py::ssize_t frames) {
  const auto p = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(positions);
  if (!p || p.ndim() != 2 || p.shape(1) != 2) throw InputError("positions must be an array [N, 2] of (row, column)");
  if (p.shape(0) != frames) {
    throw InputError(fmt::format("{} positions for {} frames", p.shape(0), frames));
  }
  std::vector<ptycho::Position> out;
  for (py::ssize_t j = 0; j < frames; ++j) out.push_back({static_cast<int>(p.at(j, 0)), static_cast<int>(p.at(j, 1))});
  return out;
}

py::dict simulate(const std::string& object, std::size_t object_size, std::size_t probe_size, double probe_diameter,
                  const std::string& probe, const std::string& scan, std::size_t positions, double overlap,
                  double photons, double position_jitter, bool noise, std::uint64_t seed,
                  const py::object& threads) {
  sim::PtychoSimOptions o;
  o.object_size = object_size, o.probe_size = probe_size, o.diameter = probe_diameter, o.probe = probe;
  o.scan = scan, o.positions = positions;
  o.overlap = overlap, o.photons = photons, o.position_jitter = position_jitter, o.noise = noise, o.seed = seed;
  o.validate();
  const unsigned n_threads = thread_count(threads);
  sim::PtychoSimulation s;
  {
    py::gil_scoped_release release;
    const std::vector<float> pattern = object == "siemens" ? sim::siemens_star(object_size)
                                                           : io::resample_square(io::read_png_grey(object), object_size);
    runtime::ThreadPool pool(n_threads);
    s = sim::simulate_ptycho(pattern, o, pool);
  }
  const auto n = static_cast<py::ssize_t>(probe_size), size = static_cast<py::ssize_t>(object_size),
             frames = static_cast<py::ssize_t>(positions);
  std::vector<std::int32_t> rows_cols;
  for (const auto& p : s.positions) rows_cols.insert(rows_cols.end(), {p.row, p.col});
  py::dict out;
  out["intensities"] = to_numpy(std::move(s.intensities), {frames, n, n});
  out["positions"] = to_numpy(std::move(rows_cols), {frames, 2});
  out["object"] = to_numpy(std::move(s.object), {size, size});
  out["probe"] = to_numpy(std::move(s.probe), {n, n});
  out["pixel_size"] = o.object_pixel_m();
  return out;
}

py::dict reconstruct(const py::object& intensities, const py::object& positions, const py::object& object_shape,
                     const py::object& probe, const py::object& mask, const std::string& algorithm,
                     const std::string& noise, int iterations, int warm_up, bool probe_refine, int probe_start,
                     double centre_tolerance, double average, double dm_alpha, double dm_settle,
                     double rpie, double epie_step,
                     double epie_probe_step, double fourier_relax, std::uint64_t seed, const py::object& threads,
                     const py::object& callback) {
  const auto data = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(intensities);
  if (!data || data.ndim() != 3 || data.shape(1) != data.shape(2)) {
    throw InputError("intensities must be an array [N, n, n] of square frames");
  }
  ptycho::CourseOptions course_options;
  course_options.iterations = iterations, course_options.warm_up = warm_up, course_options.probe_refine = probe_refine;
  course_options.probe_start = probe_start, course_options.centre_tolerance = centre_tolerance;
  course_options.average = average, course_options.dm_settle = dm_settle;
  course_options.validate();
  const py::ssize_t frames = data.shape(0), n = data.shape(1);
  std::vector<ptycho::Position> where = positions_of(positions, frames);
  std::size_t ny = 0, nx = 0;
  if (object_shape.is_none()) {
    for (const auto& p : where) {
      ny = std::max(ny, static_cast<std::size_t>(std::max(p.row, 0)) + static_cast<std::size_t>(n));
      nx = std::max(nx, static_cast<std::size_t>(std::max(p.col, 0)) + static_cast<std::size_t>(n));
    }
  } else {
    std::tie(ny, nx) = object_shape.cast<std::pair<std::size_t, std::size_t>>();
  }
  std::vector<std::uint8_t> bad;
  if (!mask.is_none()) {
    const auto m = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(mask);
    if (!m || shape_of(m) != std::vector<py::ssize_t>{n, n}) throw InputError("mask must be an array [n, n]");
    bad.assign(m.data(), m.data() + m.size());
  }
  ptycho::EngineOptions options;
  options.algorithm = ptycho::parse_algorithm(algorithm);
  options.noise = ptycho::parse_noise_model(noise);
  options.epie_object_step = epie_step, options.dm_alpha = dm_alpha, options.epie_regularisation = rpie;
  options.epie_probe_step = epie_probe_step, options.fourier_relax = fourier_relax, options.seed = seed;
  const ptycho::PtychoProblem problem =
      ptycho::make_problem(std::span<const float>(data.data(), static_cast<std::size_t>(data.size())),
                           static_cast<std::size_t>(frames), static_cast<std::size_t>(n), bad, where, ny, nx);
  const unsigned n_threads = thread_count(threads);
  runtime::ThreadPool pool(n_threads);
  ptycho::PtychoState state;
  state.object.assign(ny * nx, cfloat(1, 0));
  double guessed_diameter = NAN;
  if (probe.is_none()) {
    py::gil_scoped_release release;
    const ptycho::ProbeGuess guess = ptycho::guess_probe(problem, where, 0, pool);
    state.probe = guess.probe, guessed_diameter = guess.diameter;
  } else {
    state.probe = complex_array(probe, {n, n}, "probe");
  }
  ptycho::Course course(problem, options, course_options, pool);
  while (!course.done()) {
    {
      py::gil_scoped_release release;
      course.iterate(state);
    }
    if (!callback.is_none()) {
      const auto& r = state.history.back();
      py::dict record;
      record["iteration"] = r.iteration, record["algorithm"] = ptycho::algorithm_name(r.algorithm);
      record["cost"] = r.cost, record["seconds"] = r.seconds;
      record["fft_seconds"] = r.fft_seconds, record["step"] = r.step;
      const py::object go_on = callback(record);
      if (!go_on.is_none() && !go_on.cast<bool>()) break;
    }
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
  ptycho::ModelFit fit;
  {
    py::gil_scoped_release release;
    fit = ptycho::model_fit(problem, state, options, pool);
  }
  py::dict history;
  std::vector<double> cost, seconds, fft_seconds, step;
  std::vector<std::uint8_t> refined;
  py::list engines;
  for (const auto& r : state.history) {
    cost.push_back(r.cost), seconds.push_back(r.seconds), fft_seconds.push_back(r.fft_seconds), step.push_back(r.step);
    refined.push_back(r.probe_refined ? 1 : 0), engines.append(ptycho::algorithm_name(r.algorithm));
  }
  const auto g = static_cast<py::ssize_t>(cost.size());
  history["cost"] = to_numpy(std::move(cost), {g});
  history["seconds"] = to_numpy(std::move(seconds), {g});
  history["fft_seconds"] = to_numpy(std::move(fft_seconds), {g});
  history["step"] = to_numpy(std::move(step), {g});
  history["probe_refined"] = to_numpy(std::move(refined), {g});
  history["algorithm"] = engines;
  py::dict out;
  out["object"] = to_numpy(std::move(state.object), {static_cast<py::ssize_t>(ny), static_cast<py::ssize_t>(nx)});
  out["probe"] = to_numpy(std::move(state.probe), {n, n});
  out["history"] = history;
  out["model_cost"] = fit.cost, out["expected_cost"] = fit.expected;
  out["probe_guess_diameter"] = guessed_diameter;
  out["shifted"] = py::make_tuple(course.shifted_rows(), course.shifted_cols());
  out["warning"] = ptycho::convergence_warning(fit).value_or("");
  return out;
}

py::dict score(const py::object& object, const py::object& truth, const py::object& region, const py::object& probe,
               const py::object& positions, bool remove_ramp, bool remove_shift) {
  const auto t = py::array_t<std::complex<float>, py::array::c_style | py::array::forcecast>::ensure(truth);
  if (!t || t.ndim() != 2) throw InputError("truth must be a 2D complex array");
  const py::ssize_t ny = t.shape(0), nx = t.shape(1);
  const std::vector<cfloat> recon = complex_array(object, {ny, nx}, "object");
  const std::vector<cfloat> truth_values(t.data(), t.data() + t.size());
  std::vector<std::uint8_t> scored;
  if (!region.is_none()) {
    const auto r = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(region);
    if (!r || shape_of(r) != std::vector<py::ssize_t>{ny, nx}) throw InputError("region must have the truth's shape");
    scored.assign(r.data(), r.data() + r.size());
  } else {
    if (probe.is_none() || positions.is_none()) throw InputError("give region, or probe and positions");
    const auto p = py::array_t<std::complex<float>, py::array::c_style | py::array::forcecast>::ensure(probe);
    if (!p || p.ndim() != 2 || p.shape(0) != p.shape(1)) throw InputError("probe must be a square complex array");
    const auto where = positions_of(positions, py::array(positions).shape(0));
    scored = ptycho::illuminated_region(std::vector<cfloat>(p.data(), p.data() + p.size()),
                                        static_cast<std::size_t>(p.shape(0)), where, static_cast<std::size_t>(ny),
                                        static_cast<std::size_t>(nx), 0.1);
  }
  ptycho::ObjectScore s;
  {
    py::gil_scoped_release release;
    s = ptycho::score_object(recon, truth_values, scored, static_cast<std::size_t>(ny), static_cast<std::size_t>(nx),
                             remove_ramp, remove_shift);
  }
  py::dict out;
  out["error"] = s.error;
  out["phase_ssim"] = s.phase_ssim;
  out["factor"] = s.factor;
  out["ramp"] = py::make_tuple(s.ramp[0], s.ramp[1]);
  out["shift"] = py::make_tuple(s.shift[0], s.shift[1]);
  out["pixels"] = s.pixels;
  out["corrected"] = to_numpy(std::move(s.corrected), {ny, nx});
  return out;
}

}  // namespace

void bind_ptycho(py::module_& m) {
  const sim::PtychoSimOptions o;
  m.def("simulate_ptycho", &simulate, kSimulateDoc, py::kw_only(), py::arg("object") = "siemens",
        py::arg("object_size") = o.object_size, py::arg("probe_size") = o.probe_size,
        py::arg("probe_diameter") = o.diameter, py::arg("probe") = o.probe,
        py::arg("scan") = o.scan, py::arg("positions") = o.positions, py::arg("overlap") = o.overlap,
        py::arg("photons") = o.photons, py::arg("position_jitter") = o.position_jitter, py::arg("noise") = o.noise,
        py::arg("seed") = o.seed, py::arg("threads") = py::none());
  const ptycho::EngineOptions e;
  const ptycho::CourseOptions c;
  m.def("ptycho_reconstruct", &reconstruct, kReconstructDoc, py::arg("intensities"), py::arg("positions"),
        py::kw_only(), py::arg("object_shape") = py::none(), py::arg("probe") = py::none(),
        py::arg("mask") = py::none(), py::arg("algorithm") = "ml", py::arg("noise") = "gaussian",
        py::arg("iterations") = c.iterations, py::arg("warm_up") = c.warm_up, py::arg("probe_refine") = c.probe_refine,
        py::arg("probe_start") = c.probe_start, py::arg("centre_tolerance") = c.centre_tolerance,
        py::arg("average") = c.average, py::arg("dm_alpha") = e.dm_alpha, py::arg("dm_settle") = c.dm_settle,
        py::arg("rpie") = e.epie_regularisation,
        py::arg("epie_step") = e.epie_object_step, py::arg("epie_probe_step") = e.epie_probe_step,
        py::arg("fourier_relax") = e.fourier_relax, py::arg("seed") = e.seed, py::arg("threads") = py::none(),
        py::arg("callback") = py::none());
  m.def("ptycho_score", &score, kScoreDoc, py::arg("object"), py::arg("truth"), py::kw_only(),
        py::arg("region") = py::none(), py::arg("probe") = py::none(), py::arg("positions") = py::none(),
        py::arg("remove_ramp") = true, py::arg("remove_shift") = true);
}

}  // namespace xpulse::python
