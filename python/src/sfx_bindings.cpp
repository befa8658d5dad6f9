// xpulse.simulate_sfx and xpulse.find_peaks: serial crystallography on numpy arrays, the same computations as
// `xpulse simulate sfx` and `xpulse sfx peaks`.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "core/error.h"
#include "pipelines/sfx_simulate.h"
#include "runtime/devices.h"
#include "runtime/thread_pool.h"
#include "sfx/peakfinder8.h"
#include "sim/sfx_simulation.h"

namespace xpulse::python {
namespace {

constexpr const char* kSimulateDoc = R"doc(Simulate serial crystallography stills of a PDB structure's crystal.

The same simulation as `xpulse simulate sfx` (identical frames for the same options and seed, for any thread
count): the CRYST1 cell and the space group's operators, xraylib form factors, random orientations, partial spots
(mosaicity, bandwidth, crystal size), a water ring, Poisson counts, gain and readout noise, a mask.

Parameters
----------
pdb : str or os.PathLike
frames : int
hit_fraction : float
pixels : (ny, nx)
pixel_size, distance : float
    Metres.
energy : float
    eV.
crystal_size : float
    Metres.
mosaicity : float
    Degrees.
fluence : float
    Photons of a full reflection of mean |F|^2 near the beam.
background : "water" | "none"
gain : float
    ADU per photon.
readout_noise : float
    ADU.
seed : int
threads : int, optional
device : "auto" | "cpu" | "cuda"
    Where the pixels and their noise are rendered (auto: a GPU when one can be used).
gpu : int
    CUDA device index.

Returns
-------
dict: frames [N, ny, nx] float32 (ADU), mask [ny, nx] uint8, hit [N] uint8, orientations [N, 4], spots (dict of
arrays: frame, x, y, photons, sigma, hkl [m, 3]), resolution (Angstrom at the corner), reflections.)doc";

constexpr const char* kFindDoc = R"doc(Bragg peaks of every frame with peakfinder8's semantics.

The same finder as `xpulse sfx peaks`, in parallel over frames.

Parameters
----------
frames : array [N, ny, nx] or [ny, nx]
mask : array [ny, nx], optional
    Nonzero marks bad pixels.
centre : (x, y), optional
    Beam centre in pixels; default the middle.
threshold, min_snr, min_pix, max_pix, local_bg_radius, min_res, max_res, max_peaks
    As the command line's options.
threads : int, optional

Returns
-------
list (one per frame) of dicts of arrays: x, y (pixel centres at integers), total_intensity (ADU), snr,
background (ADU per pixel), pixels.)doc";

py::dict simulate(const py::object& pdb, std::size_t frames, double hit_fraction,
                  const std::pair<std::size_t, std::size_t>& pixels, double pixel_size, double distance,
                  double energy, double crystal_size, double mosaicity, double fluence, const std::string& background,
                  double gain, double readout_noise, std::uint64_t seed, const py::object& threads,
                  const std::string& device, int gpu) {
  sim::SfxOptions o;
  o.frames = frames, o.hit_fraction = hit_fraction, o.ny = pixels.first, o.nx = pixels.second;
  o.pixel_size_m = pixel_size, o.distance_m = distance, o.energy_ev = energy, o.crystal_size_m = crystal_size;
  o.mosaicity_deg = mosaicity, o.fluence = fluence, o.background = background, o.adu_per_photon = gain;
  o.readout_noise_adu = readout_noise, o.seed = seed;
  o.validate();
  const unsigned n_threads = thread_count(threads);
  const int cuda_device = runtime::select_cuda_device(device, gpu);
  const std::string path = path_string(pdb);
  sim::SfxSimulation s;
  {
    py::gil_scoped_release release;
    const pipelines::Crystal crystal = pipelines::load_crystal(path);
    runtime::ThreadPool pool(n_threads);
    s = sim::simulate_sfx(crystal.atoms, crystal.cell, o, pool, sim::SfxDevice{cuda_device >= 0, std::max(cuda_device, 0)});
  }
  const auto n = static_cast<py::ssize_t>(frames), ny = static_cast<py::ssize_t>(o.ny),
             nx = static_cast<py::ssize_t>(o.nx), m = static_cast<py::ssize_t>(s.spots.size());
  std::vector<std::uint32_t> frame;
  std::vector<double> x, y, photons, sigma, quaternions;
  std::vector<std::int32_t> hkl;
  for (const auto& p : s.spots) {
    frame.push_back(p.frame), x.push_back(p.x), y.push_back(p.y), photons.push_back(p.photons);
    sigma.push_back(p.sigma), hkl.insert(hkl.end(), {p.h, p.k, p.l});
  }
  for (const auto& q : s.orientations) quaternions.insert(quaternions.end(), q.begin(), q.end());
  py::dict spots;
  spots["frame"] = to_numpy(std::move(frame), {m});
  spots["x"] = to_numpy(std::move(x), {m});
  spots["y"] = to_numpy(std::move(y), {m});
  spots["photons"] = to_numpy(std::move(photons), {m});
  spots["sigma"] = to_numpy(std::move(sigma), {m});
  spots["hkl"] = to_numpy(std::move(hkl), {m, 3});
  py::dict out;
  out["frames"] = to_numpy(std::move(s.frames), {n, ny, nx});
  out["mask"] = to_numpy(std::move(s.mask), {ny, nx});
  out["hit"] = to_numpy(std::move(s.hit), {n});
  out["orientations"] = to_numpy(std::move(quaternions), {n, 4});
  out["spots"] = spots;
  out["resolution"] = s.resolution;
  out["reflections"] = s.reflections;
  return out;
}

py::list find_peaks(const py::object& frames, const py::object& mask, const py::object& centre, float threshold,
                    float min_snr, int min_pix, int max_pix, int local_bg_radius, double min_res, double max_res,
                    std::size_t max_peaks, const py::object& threads) {
  const auto data = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(frames);
  if (!data || (data.ndim() != 3 && data.ndim() != 2)) throw InputError("frames must be an array [N, ny, nx] or [ny, nx]");
  const py::ssize_t n = data.ndim() == 3 ? data.shape(0) : 1, ny = data.shape(data.ndim() - 2),
                    nx = data.shape(data.ndim() - 1);
  std::vector<std::uint8_t> bad;
  if (!mask.is_none()) {
    const auto mk = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(mask);
    if (!mk || shape_of(mk) != std::vector<py::ssize_t>{ny, nx}) {
      throw InputError(fmt::format("mask must have the frames' shape [{}, {}]", ny, nx));
    }
    bad.assign(mk.data(), mk.data() + mk.size());
  }
  double cx = static_cast<double>(nx) / 2, cy = static_cast<double>(ny) / 2;
  if (!centre.is_none()) std::tie(cx, cy) = centre.cast<std::pair<double, double>>();
  sfx::PeakFinderOptions o;
  o.threshold = threshold, o.min_snr = min_snr, o.min_pixels = min_pix, o.max_pixels = max_pix;
  o.local_bg_radius = local_bg_radius, o.min_res = min_res, o.max_res = max_res, o.max_peaks = max_peaks;
  const sfx::PeakFinder8 finder(static_cast<std::size_t>(ny), static_cast<std::size_t>(nx), cx, cy, bad, o);
  std::vector<std::vector<sfx::Peak>> found(static_cast<std::size_t>(n));
  {
    py::gil_scoped_release release;
    runtime::ThreadPool pool(thread_count(threads));
    pool.parallel_for(static_cast<std::size_t>(n), [&](std::size_t j, unsigned) {
      found[j] = finder.find(data.data() + j * static_cast<std::size_t>(ny * nx));
    });
  }
  py::list out;
  for (const auto& peaks : found) {
    std::vector<float> x, y, total, snr, background;
    std::vector<std::int32_t> pixels;
    for (const auto& p : peaks) {
      x.push_back(p.x), y.push_back(p.y), total.push_back(p.total_intensity), snr.push_back(p.snr);
      background.push_back(p.background), pixels.push_back(p.pixels);
    }
    const auto m = static_cast<py::ssize_t>(peaks.size());
    py::dict d;
    d["x"] = to_numpy(std::move(x), {m});
    d["y"] = to_numpy(std::move(y), {m});
    d["total_intensity"] = to_numpy(std::move(total), {m});
    d["snr"] = to_numpy(std::move(snr), {m});
    d["background"] = to_numpy(std::move(background), {m});
    d["pixels"] = to_numpy(std::move(pixels), {m});
    out.append(d);
  }
  return out;
}

}  // namespace

void bind_sfx(py::module_& m) {
  const sim::SfxOptions s;
  m.def("simulate_sfx", &simulate, kSimulateDoc, py::arg("pdb"), py::kw_only(), py::arg("frames") = s.frames,
        py::arg("hit_fraction") = s.hit_fraction, py::arg("pixels") = std::make_pair(s.ny, s.nx),
        py::arg("pixel_size") = s.pixel_size_m, py::arg("distance") = s.distance_m, py::arg("energy") = s.energy_ev,
        py::arg("crystal_size") = s.crystal_size_m, py::arg("mosaicity") = s.mosaicity_deg,
        py::arg("fluence") = s.fluence, py::arg("background") = s.background, py::arg("gain") = s.adu_per_photon,
        py::arg("readout_noise") = s.readout_noise_adu, py::arg("seed") = s.seed, py::arg("threads") = py::none(),
        py::arg("device") = "auto", py::arg("gpu") = 0);
  const sfx::PeakFinderOptions p;
  m.def("find_peaks", &find_peaks, kFindDoc, py::arg("frames"), py::kw_only(), py::arg("mask") = py::none(),
        py::arg("centre") = py::none(), py::arg("threshold") = p.threshold, py::arg("min_snr") = p.min_snr,
        py::arg("min_pix") = p.min_pixels, py::arg("max_pix") = p.max_pixels,
        py::arg("local_bg_radius") = p.local_bg_radius, py::arg("min_res") = p.min_res,
        py::arg("max_res") = p.max_res, py::arg("max_peaks") = p.max_peaks, py::arg("threads") = py::none());
}

}  // namespace xpulse::python
