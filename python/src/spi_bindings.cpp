// xpulse.simulate_spi, xpulse.spi_reconstruct, xpulse.spi_score: single-particle imaging on numpy arrays, the
// same computations as `xpulse simulate spi`, `xpulse spi reconstruct` and `xpulse spi score`.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "core/error.h"
#include "pipelines/spi_reconstruct.h"
#include "pipelines/spi_simulate.h"
#include "runtime/thread_pool.h"
#include "spi/density_score.h"
#include "spi/mtip.h"

namespace xpulse::python {
namespace {

constexpr const char* kSimulateDoc = R"doc(Simulate single-particle diffraction patterns of a PDB structure.

The same simulation as `xpulse simulate spi` (identical images for the same options and seed, for any thread
count): biological assembly 1 of the PDB, xraylib form factors, the molecular transform by a type 3 NUFFT, uniformly
random orientations, polarisation, solid angle, optional beam and fluence jitter, a flat background and Poisson
noise.

Parameters
----------
pdb : str or os.PathLike
images, pixels : int
    Number of images; detector pixels per side (square detector).
detector_width, distance : float
    Metres.
energy : float
    Photon energy (eV).
photons : float
    Photons per pulse; beam_radius (m) sets the fluence.
beam_jitter : float
    Standard deviation of the beam centre (pixels).
fluence_jitter : float
    Relative standard deviation of the fluence.
background : float
    Mean photons per pixel.
noise : bool
    Poisson counts (False: expected photons).
grid : int
    M of the truth grids (odd).
include_water : bool
seed : int
threads : int, optional

Returns
-------
dict: images [N, ny, nx] float32 (photons), q [ny, nx, 3] (1/Angstrom, lab frame), polarization [ny, nx],
solid_angle [ny, nx] (sr), q_max (1/Angstrom), truth (dict: orientations [N, 4] quaternions (w, x, y, z) molecule
to lab, intensity [M, M, M] float32 (electrons^2), density [M, M, M] float32 (electrons per voxel), voxel_size
(Angstrom), q_spacing (1/Angstrom), electrons, beam_offset [N, 2] (pixels), fluence [N]), atoms (number).)doc";

constexpr const char* kReconstructDoc = R"doc(Reconstruct the 3D electron density from SPI images by M-TIP.

The same algorithm as `xpulse spi reconstruct` (generation 0 merges the images at random orientations; each later
generation slices the model at random reference orientations, matches every image, merges by conjugate gradient
with the L-curve's Tikhonov value, and phases by ER/HIO with shrinkwrap). Single process.

Parameters
----------
images : array [N, ny, nx]
    Photon counts (finite, >= 0).
q : array [ny, nx, 3]
    Lab-frame q of every pixel (1/Angstrom).
polarization, solid_angle : arrays [ny, nx]
grid : int
    M of the M^3 grids (odd).
generations : int
orientations : int
    Reference orientations per generation.
phasing : str
    Phasing schedule per generation, e.g. "5x(10ER,5HIO,10ER,shrinkwrap)".
lambdas : sequence of float
    Tikhonov values relative to the number of data points.
seed : int
threads : int, optional
callback : callable, optional
    Called after every generation with a dict of that generation's record; returning False stops early.

Returns
-------
dict: density, intensity, autocorrelation [M, M, M] float64, support [M, M, M] uint8, orientations [N, 4],
scales [N], voxel_size (Angstrom), q_spacing (1/Angstrom), edge_resolution (Angstrom), history (dict of arrays per
generation, times in seconds).)doc";

constexpr const char* kScoreDoc = R"doc(Superpose a reconstruction on a known density and compute CC and FSC.

The same as `xpulse spi score`: the truth is resampled onto the reconstruction's grid, then a rotation search over
both hands with all shifts by FFT cross-correlation, a pattern-search refinement and a sub-voxel shift.

Parameters
----------
density : array [M, M, M]
voxel_size : float
    Angstrom.
truth : array [T, T, T]
truth_voxel_size : float
    Angstrom.
rotations : int
    Rotations of the coarse search.
threads : int, optional

Returns
-------
dict: cc, inverted (bool), shift [3] (voxels, x y z), rotation [4] (quaternion), aligned [M, M, M], truth
[M, M, M] (on the reconstruction's grid), frequency [shells] (1/Angstrom), fsc [shells], resolution (Angstrom,
where the FSC first falls below 0.5), crossed (False: it never does and resolution is the last shell's).)doc";

std::size_t cube_side(const py::array& a, const std::string& what) {
  const auto s = shape_of(a);
  if (s.size() != 3 || s[0] != s[1] || s[1] != s[2]) {
    throw InputError(fmt::format("{} must be a cube [M, M, M], got rank {}", what, s.size()));
  }
  return static_cast<std::size_t>(s[0]);
}

py::dict simulate(const py::object& pdb, std::size_t images, std::size_t pixels, double detector_width,
                  double distance, double energy, double photons, double beam_radius, double beam_jitter,
                  double fluence_jitter, double background, bool noise, std::size_t grid, bool include_water,
                  std::uint64_t seed, const py::object& threads) {
  sim::SpiOptions o;
  o.images = images, o.pixels = pixels, o.detector_width_m = detector_width, o.distance_m = distance;
  o.energy_ev = energy, o.photons = photons, o.beam_radius_m = beam_radius, o.beam_jitter_px = beam_jitter;
  o.fluence_jitter = fluence_jitter, o.background = background, o.noise = noise, o.grid = grid, o.seed = seed;
  o.validate();
  const unsigned n_threads = thread_count(threads);
  const std::string path = path_string(pdb);
  sim::SpiSimulation s;
  std::size_t atoms = 0;
  {
    py::gil_scoped_release release;
    const sim::AtomSet molecule = pipelines::load_molecule(path, include_water);
    atoms = molecule.position.size();
    runtime::ThreadPool pool(n_threads);
    s = sim::simulate_spi(molecule, o, pool);
  }
  const auto n = static_cast<py::ssize_t>(images), ny = static_cast<py::ssize_t>(s.detector.ny),
             nx = static_cast<py::ssize_t>(s.detector.nx), m = static_cast<py::ssize_t>(grid);
  std::vector<double> quaternions;
  for (const auto& q : s.orientations) quaternions.insert(quaternions.end(), q.begin(), q.end());
  py::dict truth;
  truth["orientations"] = to_numpy(std::move(quaternions), {n, 4});
  truth["intensity"] = to_numpy(std::move(s.intensity), {m, m, m});
  truth["density"] = to_numpy(std::move(s.density), {m, m, m});
  truth["voxel_size"] = s.voxel_angstrom;
  truth["q_spacing"] = s.q_max / static_cast<double>(grid / 2);
  truth["electrons"] = s.electrons;
  truth["beam_offset"] = to_numpy(std::move(s.beam_offset), {n, 2});
  truth["fluence"] = to_numpy(std::move(s.fluence), {n});
  py::dict out;
  out["images"] = to_numpy(std::move(s.images), {n, ny, nx});
  out["q"] = to_numpy(std::move(s.q), {ny, nx, 3});
  out["polarization"] = to_numpy(std::move(s.polarization), {ny, nx});
  out["solid_angle"] = to_numpy(std::move(s.solid_angle), {ny, nx});
  out["q_max"] = s.q_max;
  out["truth"] = truth;
  out["atoms"] = atoms;
  return out;
}

py::dict record_dict(const spi::GenerationRecord& g) {
  py::dict d;
  d["generation"] = g.generation;
  d["slice_seconds"] = g.slice_seconds;
  d["match_seconds"] = g.match_seconds;
  d["gemm_seconds"] = g.gemm_seconds;
  d["merge_seconds"] = g.merge_seconds;
  d["phase_seconds"] = g.phase_seconds;
  d["distance_mean"] = g.distance_mean;
  d["distance_median"] = g.distance_median;
  d["orientation_change"] = g.orientation_change;
  d["lambda"] = g.lambda;
  d["merge_residual"] = g.merge_residual;
  d["cg_iterations"] = g.cg_iterations;
  d["support"] = g.support;
  d["fourier_error"] = g.fourier_error;
  return d;
}

py::dict reconstruct(const py::object& images, const py::object& q, const py::object& polarization,
                     const py::object& solid_angle, std::size_t grid, int generations, std::size_t orientations,
                     const std::string& phasing, const std::vector<double>& lambdas, std::uint64_t seed,
                     const py::object& threads, const py::object& callback) {
  const auto counts = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(images);
  if (!counts || counts.ndim() != 3) throw InputError("images must be an array [N, ny, nx]");
  if (generations < 1) throw InvalidArgument(fmt::format("generations must be >= 1, got {}", generations));
  pipelines::SpiInput in;
  in.n = static_cast<std::size_t>(counts.shape(0)), in.ny = static_cast<std::size_t>(counts.shape(1));
  in.nx = static_cast<std::size_t>(counts.shape(2));
  in.count = in.n;
  if (in.n == 0 || in.ny == 0 || in.nx == 0) throw InputError("images is empty");
  const auto ny = counts.shape(1), nx = counts.shape(2);
  const auto qa = doubles(q, {ny, nx, 3}, "q");
  in.q.assign(qa.data(), qa.data() + qa.size());
  const auto pa = doubles(polarization, {ny, nx}, "polarization"), sa = doubles(solid_angle, {ny, nx}, "solid_angle");
  pipelines::derive_pixel_terms(in, std::vector<double>(pa.data(), pa.data() + pa.size()),
                                std::vector<double>(sa.data(), sa.data() + sa.size()), "the arguments");
  spi::MtipOptions o;
  o.grid = grid, o.references = orientations, o.phasing = phasing, o.merge.lambdas = lambdas, o.seed = seed;
  const unsigned n_threads = thread_count(threads);
  runtime::ThreadPool pool(n_threads);
  const spi::MtipData data{counts.data(), in.n, in.ny * in.nx, 0, in.n, in.q.data(), in.pixel_factor.data(),
                           in.q_max};
  std::optional<spi::Mtip> mtip;
  spi::MtipState state;
  {
    py::gil_scoped_release release;
    mtip.emplace(data, o, pool);
  }
  while (state.generations_done < generations) {
    {
      py::gil_scoped_release release;
      mtip->run_generation(state);
    }
    if (!callback.is_none()) {
      const py::object go_on = callback(record_dict(state.history.back()));
      if (!go_on.is_none() && !go_on.cast<bool>()) break;
    }
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
  const auto m = static_cast<py::ssize_t>(grid), n = static_cast<py::ssize_t>(in.n);
  py::dict out;
  out["intensity"] = to_numpy(spi::intensity_of(state.density, grid, n_threads), {m, m, m});
  out["density"] = to_numpy(std::move(state.density), {m, m, m});
  out["autocorrelation"] = to_numpy(std::move(state.autocorrelation), {m, m, m});
  out["support"] = to_numpy(std::move(state.support), {m, m, m});
  std::vector<double> quaternions;
  for (const auto& r : state.orientations) quaternions.insert(quaternions.end(), r.begin(), r.end());
  out["orientations"] = to_numpy(std::move(quaternions), {n, 4});
  out["scales"] = to_numpy(std::move(state.scales), {n});
  out["voxel_size"] = mtip->voxel();
  out["q_spacing"] = mtip->q_spacing();
  out["edge_resolution"] = in.edge_resolution;
  py::dict history;
  const auto g = static_cast<py::ssize_t>(state.history.size());
  for (const auto& [name, value] : record_dict(spi::GenerationRecord{})) {
    std::vector<double> column;
    for (const auto& r : state.history) column.push_back(record_dict(r)[name].cast<double>());
    history[name] = to_numpy(std::move(column), {g});
  }
  out["history"] = history;
  return out;
}

py::dict score(const py::object& density, double voxel_size, const py::object& truth, double truth_voxel_size,
               std::size_t rotations, const py::object& threads) {
  const auto d = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(density);
  const auto t = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(truth);
  if (!d || !t) throw InputError("density and truth must be arrays of numbers");
  const std::size_t m = cube_side(d, "density"), tm = cube_side(t, "truth");
  if (rotations < 1) throw InvalidArgument("rotations must be >= 1");
  spi::AlignmentOptions options;
  options.coarse_rotations = rotations;
  const unsigned n_threads = thread_count(threads);
  std::vector<double> a(d.data(), d.data() + d.size()), b(t.data(), t.data() + t.size());
  spi::DensityScore s;
  {
    py::gil_scoped_release release;
    runtime::ThreadPool pool(n_threads);
    s = spi::score_density(a, m, voxel_size, b, tm, truth_voxel_size, options, pool);
  }
  const auto side = static_cast<py::ssize_t>(m), shells = static_cast<py::ssize_t>(s.fsc.fsc.size());
  py::dict out;
  out["cc"] = s.alignment.cc;
  out["inverted"] = s.alignment.inverted;
  out["shift"] = to_numpy(std::vector<double>(s.alignment.shift, s.alignment.shift + 3), {3});
  out["rotation"] = to_numpy(std::vector<double>(s.alignment.rotation.begin(), s.alignment.rotation.end()), {4});
  out["aligned"] = to_numpy(std::move(s.alignment.aligned), {side, side, side});
  out["truth"] = to_numpy(std::move(s.truth), {side, side, side});
  out["frequency"] = to_numpy(std::move(s.fsc.frequency), {shells});
  out["fsc"] = to_numpy(std::move(s.fsc.fsc), {shells});
  out["resolution"] = s.fsc.resolution;
  out["crossed"] = s.fsc.crossed;
  return out;
}

}  // namespace

void bind_spi(py::module_& m) {
  const sim::SpiOptions s;
  m.def("simulate_spi", &simulate, kSimulateDoc, py::arg("pdb"), py::kw_only(), py::arg("images") = s.images,
        py::arg("pixels") = s.pixels, py::arg("detector_width") = s.detector_width_m,
        py::arg("distance") = s.distance_m, py::arg("energy") = s.energy_ev, py::arg("photons") = s.photons,
        py::arg("beam_radius") = s.beam_radius_m, py::arg("beam_jitter") = s.beam_jitter_px,
        py::arg("fluence_jitter") = s.fluence_jitter, py::arg("background") = s.background,
        py::arg("noise") = s.noise, py::arg("grid") = s.grid, py::arg("include_water") = false,
        py::arg("seed") = s.seed, py::arg("threads") = py::none());
  const spi::MtipOptions o;
  m.def("spi_reconstruct", &reconstruct, kReconstructDoc, py::arg("images"), py::arg("q"), py::arg("polarization"),
        py::arg("solid_angle"), py::kw_only(), py::arg("grid") = o.grid, py::arg("generations") = 20,
        py::arg("orientations") = o.references, py::arg("phasing") = o.phasing,
        py::arg("lambdas") = o.merge.lambdas, py::arg("seed") = o.seed, py::arg("threads") = py::none(),
        py::arg("callback") = py::none());
  const spi::AlignmentOptions a;
  m.def("spi_score", &score, kScoreDoc, py::arg("density"), py::arg("voxel_size"), py::arg("truth"),
        py::arg("truth_voxel_size"), py::kw_only(), py::arg("rotations") = a.coarse_rotations,
        py::arg("threads") = py::none());
}

}  // namespace xpulse::python
