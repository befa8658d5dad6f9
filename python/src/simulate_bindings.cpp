// xpulse.simulate_pump_probe: the simulated pump-probe stack and its truth as numpy arrays.
#include <array>
#include <string>
#include <tuple>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.h"
#include "runtime/thread_pool.h"
#include "sim/pump_probe.h"

namespace xpulse::python {
namespace {

constexpr const char* kSimulateDoc = R"(Simulate a time-resolved diffuse-scattering stack with known per-pixel truth.

The same simulation as `xpulse simulate pump-probe` (float32, identical values for the same options and seed, for
any thread count): a simple cubic crystal on a flat detector; each pixel's reduced wavevector |q - G| sets an
acoustic phonon frequency, and the intensity oscillates at `harmonic` times it after t0 = 0:
    I(t) = offset + amplitude exp(-damping t) cos(2 pi frequency t + phase)  (t >= 0; constant before)
One Bragg reflection lies exactly on a pixel centre; pixels near Bragg peaks are saturated and masked, plus dead
pixels, a panel gap, hot pixels and pixels without oscillation.

Parameters
----------
shape : (n_delay, ny, nx)
delays : (start, end)
    Delay range in ps (t0 = 0 must lie before end).
nonuniform : bool
    Coarse before t0, about 3x denser at t0 than at the end.
noise : "poisson" | "gaussian" (sigma = sqrt(I)) | "none"
photons : float
    Mean diffuse background per pixel per frame (photons).
seed : int
max_phonon : float
    Top of the acoustic branch (THz).
harmonic : int
    Observed frequency = harmonic x phonon frequency (2 for squeezed phonons).
lattice_constant : float
    Angstrom.
energy : float
    Photon energy (eV).
threads : int, optional

Returns
-------
dict: delays [n_delay] (ps), data [n_delay, ny, nx] float32 (photons), mask [ny, nx] uint32 (CXI bits, nonzero =
bad), detector (Detector), crystal (Crystal), bragg_hkl, bragg_pixel (y, x), truth (dict of [ny, nx] float32:
frequency [THz, observed], amplitude [photons], damping [1/ps], phase [rad], offset [photons], q_reduced
[1/Angstrom]), harmonic, warnings (list of str).)";

py::dict simulate(const std::tuple<std::size_t, std::size_t, std::size_t>& shape,
                  const std::pair<double, double>& delays, bool nonuniform, const std::string& noise, double photons,
                  std::uint64_t seed, double max_phonon, int harmonic, double lattice_constant, double energy,
                  const py::object& threads) {
  sim::PumpProbeOptions o;
  std::tie(o.n_delay, o.ny, o.nx) = shape;
  std::tie(o.delay_start_ps, o.delay_end_ps) = delays;
  o.nonuniform = nonuniform;
  o.noise = sim::parse_noise(noise);
  o.photons = photons;
  o.seed = seed;
  o.max_phonon_thz = max_phonon;
  o.harmonic = harmonic;
  o.lattice_constant_angstrom = lattice_constant;
  o.energy_ev = energy;
  o.validate();
  const unsigned n_threads = thread_count(threads);
  sim::PumpProbeSimulation s;
  {
    py::gil_scoped_release release;
    runtime::ThreadPool pool(n_threads);
    s = sim::simulate_pump_probe(o, pool);
  }
  const auto n = static_cast<py::ssize_t>(o.n_delay), ny = static_cast<py::ssize_t>(o.ny),
             nx = static_cast<py::ssize_t>(o.nx);
  py::dict out;
  out["delays"] = to_numpy(std::move(s.delays_ps), {n});
  out["data"] = to_numpy(std::move(s.data), {n, ny, nx});
  out["mask"] = to_numpy(std::move(s.mask), {ny, nx});
  out["detector"] = s.detector;
  out["crystal"] = s.crystal;
  out["bragg_hkl"] = py::make_tuple(s.bragg_hkl[0], s.bragg_hkl[1], s.bragg_hkl[2]);
  out["bragg_pixel"] = py::make_tuple(s.bragg_pixel[0], s.bragg_pixel[1]);
  py::dict truth;
  truth["frequency"] = to_numpy(std::move(s.truth.frequency), {ny, nx});
  truth["amplitude"] = to_numpy(std::move(s.truth.amplitude), {ny, nx});
  truth["damping"] = to_numpy(std::move(s.truth.damping), {ny, nx});
  truth["phase"] = to_numpy(std::move(s.truth.phase), {ny, nx});
  truth["offset"] = to_numpy(std::move(s.truth.offset), {ny, nx});
  truth["q_reduced"] = to_numpy(std::move(s.truth.q_reduced), {ny, nx});
  out["truth"] = truth;
  out["harmonic"] = harmonic;
  out["warnings"] = s.warnings;
  return out;
}

}  // namespace

void bind_simulate(py::module_& m) {
  const sim::PumpProbeOptions d;
  m.def("simulate_pump_probe", &simulate, kSimulateDoc, py::kw_only(),
        py::arg("shape") = std::make_tuple(d.n_delay, d.ny, d.nx),
        py::arg("delays") = std::make_pair(d.delay_start_ps, d.delay_end_ps), py::arg("nonuniform") = d.nonuniform,
        py::arg("noise") = "poisson", py::arg("photons") = d.photons, py::arg("seed") = d.seed,
        py::arg("max_phonon") = d.max_phonon_thz, py::arg("harmonic") = d.harmonic,
        py::arg("lattice_constant") = d.lattice_constant_angstrom, py::arg("energy") = d.energy_ev,
        py::arg("threads") = py::none());
}

}  // namespace xpulse::python
