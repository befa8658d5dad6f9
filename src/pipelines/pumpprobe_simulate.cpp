#include "pipelines/pumpprobe_simulate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "runtime/thread_pool.h"

namespace xpulse::pipelines {

SimulateSummary simulate_pump_probe_file(const SimulateRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  if (r.dtype != "float32" && r.dtype != "uint16") {
    throw InvalidArgument(fmt::format("--dtype '{}' is not supported; use float32 or uint16", r.dtype));
  }
  if (r.chunks != "frame" && r.chunks != "tile" && r.chunks != "none") {
    throw InvalidArgument(fmt::format("--chunks '{}' is not known; use frame, tile or none", r.chunks));
  }
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  const auto& o = r.options;
  o.validate();
  io::AtomicOutput output(r.out);

  runtime::ThreadPool pool(r.threads);
  const sim::PumpProbeSimulation s = sim::simulate_pump_probe(o, pool);
  const std::size_t n = o.n_delay, ny = o.ny, nx = o.nx;

  io::Writer w(output.partial_path());
  const std::vector<std::size_t> dims = {n, ny, nx};
  std::vector<std::size_t> chunks;
  if (r.chunks == "frame") chunks = {1, ny, nx};
  if (r.chunks == "tile") chunks = {n, std::min<std::size_t>(32, ny), std::min<std::size_t>(32, nx)};
  if (r.dtype == "uint16") {
    std::vector<std::uint16_t> counts(s.data.size());
    for (std::size_t i = 0; i < counts.size(); ++i) {
      counts[i] = static_cast<std::uint16_t>(std::clamp(std::lround(s.data[i]), 0L, 65535L));
    }
    w.write<std::uint16_t>("/entry_1/data_1/data", counts, dims, "photons", chunks);
  } else {
    w.write<float>("/entry_1/data_1/data", s.data, dims, "photons", chunks);
  }
  w.write<double>("/entry_1/data_1/delay", s.delays_ps, std::vector<std::size_t>{n}, "ps");
  w.write<std::uint32_t>("/entry_1/data_1/mask", s.mask, std::vector<std::size_t>{ny, nx});
  w.attribute("/entry_1/data_1/mask", "description",
              "CXI pixel mask bits, nonzero = bad: 1 invalid (panel gap), 2 saturated (Bragg), 8 dead");

  const auto& d = s.detector;
  const std::string det = "/entry_1/instrument_1/detector_1/";
  w.write_scalar(det + "distance", d.distance_m, "m");
  w.write_scalar(det + "x_pixel_size", d.x_pixel_size_m, "m");
  w.write_scalar(det + "y_pixel_size", d.y_pixel_size_m, "m");
  w.write_scalar(det + "beam_center_x", d.beam_center_x_px, "pixel");
  w.write_scalar(det + "beam_center_y", d.beam_center_y_px, "pixel");
  w.write_scalar("/entry_1/instrument_1/source_1/energy", d.energy_ev, "eV");

  const auto& cell = s.crystal.cell();
  w.write<double>("/entry_1/sample_1/unit_cell",
                  std::vector<double>{cell.a, cell.b, cell.c, cell.alpha, cell.beta, cell.gamma},
                  std::vector<std::size_t>{6});
  w.attribute("/entry_1/sample_1/unit_cell", "description", "a, b, c [angstrom], alpha, beta, gamma [degree]");
  std::vector<double> u;
  for (const auto& row : s.crystal.orientation()) u.insert(u.end(), row.begin(), row.end());
  w.write<double>("/entry_1/sample_1/orientation_matrix", u, std::vector<std::size_t>{3, 3});
  w.attribute("/entry_1/sample_1", "lattice", "simple cubic");
  w.attribute("/entry_1/sample_1/orientation_matrix", "description",
              "U (Busing-Levy): q_lab = 2 pi U B hkl; lab z along the beam, x along detector columns, y along rows");

  const std::vector<std::size_t> map = {ny, nx};
  const auto& t = s.truth;
  w.write<float>("/truth/frequency", t.frequency, map, "THz");
  w.write<float>("/truth/amplitude", t.amplitude, map, "photons");
  w.write<float>("/truth/damping", t.damping, map, "1/ps");
  w.write<float>("/truth/phase", t.phase, map, "rad");
  w.write<float>("/truth/offset", t.offset, map, "photons");
  w.write<float>("/truth/q_reduced", t.q_reduced, map, "1/angstrom");
  w.write<std::int32_t>("/truth/bragg_hkl", std::vector<std::int32_t>(s.bragg_hkl.begin(), s.bragg_hkl.end()),
                        std::vector<std::size_t>{3});
  w.write<std::uint32_t>("/truth/bragg_pixel",
                         std::vector<std::uint32_t>{std::uint32_t(s.bragg_pixel[0]), std::uint32_t(s.bragg_pixel[1])},
                         std::vector<std::size_t>{2});
  w.attribute("/truth/bragg_pixel", "description", "(y, x) of the pixel whose centre lies exactly on bragg_hkl");
  w.attribute("/truth", "model", "I(t) = offset + amplitude exp(-damping t) cos(2 pi frequency t + phase), t >= 0");
  w.attribute("/truth", "phonon_branch",
              "f_phonon = max_phonon_frequency |sin(pi |q - G| / (2 q_zb))|, q_zb = pi / a; frequency = "
              "harmonic f_phonon; damping = 0.05 + 0.08 f_phonon");
  w.attribute("/truth", "harmonic", static_cast<double>(o.harmonic));
  w.attribute("/truth", "max_phonon_frequency_thz", o.max_phonon_thz);
  w.attribute("/truth", "seed", static_cast<double>(o.seed));
  io::write_provenance(w, r.command_line, "");
  w.close();
  output.commit();

  SimulateSummary summary;
  summary.out = r.out;
  summary.pixels = ny * nx;
  for (std::size_t i = 0; i < summary.pixels; ++i) {
    summary.masked += s.mask[i] != 0;
    summary.oscillating += s.mask[i] == 0 && t.amplitude[i] > 0.0f;
  }
  summary.warnings = s.warnings;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace xpulse::pipelines
