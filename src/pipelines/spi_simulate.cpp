#include "pipelines/spi_simulate.h"

#include <chrono>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "io/pdb_reader.h"
#include "runtime/thread_pool.h"
#include "sim/form_factors.h"

namespace xpulse::pipelines {

sim::AtomSet load_molecule(const std::string& pdb, bool include_water) {
  const io::PdbStructure structure = io::read_pdb(pdb);
  const std::vector<io::PdbAtom> atoms = io::assembly_atoms(structure, include_water);
  if (atoms.empty()) throw InputError(fmt::format("PDB file '{}' has no atoms other than water", pdb));
  sim::AtomSet set;
  geometry::Vec3 mean{0, 0, 0};
  for (const io::PdbAtom& a : atoms) {
    set.position.push_back(a.position);
    set.atomic_number.push_back(sim::atomic_number(a.element));
    set.occupancy.push_back(a.occupancy);
    mean = geometry::add(mean, a.position);
  }
  mean = geometry::scale(1.0 / static_cast<double>(atoms.size()), mean);
  for (auto& p : set.position) p = geometry::sub(p, mean);
  return set;
}

SpiSimulateSummary simulate_spi_file(const SpiSimulateRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  r.options.validate();
  const sim::AtomSet atoms = load_molecule(r.pdb, r.include_water);
  io::AtomicOutput output(r.out);
  runtime::ThreadPool pool(r.threads);
  const sim::SpiSimulation s = sim::simulate_spi(atoms, r.options, pool);

  const std::size_t n = r.options.images, ny = s.detector.ny, nx = s.detector.nx, m = r.options.grid;
  io::Writer w(output.partial_path());
  w.write<float>("/entry_1/data_1/data", s.images, std::vector<std::size_t>{n, ny, nx}, "photons",
                 std::vector<std::size_t>{1, ny, nx});
  const std::string det = "/entry_1/instrument_1/detector_1/";
  w.write_scalar(det + "distance", s.detector.distance_m, "m");
  w.write_scalar(det + "x_pixel_size", s.detector.x_pixel_size_m, "m");
  w.write_scalar(det + "y_pixel_size", s.detector.y_pixel_size_m, "m");
  w.write_scalar(det + "beam_center_x", s.detector.beam_center_x_px, "pixel");
  w.write_scalar(det + "beam_center_y", s.detector.beam_center_y_px, "pixel");
  w.write<double>(det + "q", s.q, std::vector<std::size_t>{ny, nx, 3}, "1/angstrom");
  w.attribute(det + "q", "description",
              "lab-frame q = k_out - k_in (|k| = 2 pi / lambda) of each pixel centre; z along the beam, x along "
              "columns, y along rows");
  w.write<double>(det + "polarization", s.polarization, std::vector<std::size_t>{ny, nx});
  w.write<double>(det + "solid_angle", s.solid_angle, std::vector<std::size_t>{ny, nx}, "sr");
  w.write_scalar("/entry_1/instrument_1/source_1/energy", r.options.energy_ev, "eV");
  w.write_scalar("/entry_1/instrument_1/source_1/photons", r.options.photons, "photons");
  w.write_scalar("/entry_1/instrument_1/source_1/beam_radius", r.options.beam_radius_m, "m");

  std::vector<double> quaternions;
  for (const auto& q : s.orientations) quaternions.insert(quaternions.end(), q.begin(), q.end());
  w.write<double>("/truth/orientations", quaternions, std::vector<std::size_t>{n, 4});
  w.attribute("/truth/orientations", "description",
              "unit quaternions (w, x, y, z) rotating the molecule frame into the lab frame: image i samples "
              "F(R_i^T q)");
  w.write<double>("/truth/beam_offset", s.beam_offset, std::vector<std::size_t>{n, 2}, "pixel");
  w.write<double>("/truth/fluence", s.fluence, std::vector<std::size_t>{n});
  const std::vector<std::size_t> cube = {m, m, m};
  w.write<float>("/truth/intensity", s.intensity, cube, "electrons^2");
  w.attribute("/truth/intensity", "description",
              "|F(q)|^2 of the molecule at q = (i - M/2) dq, index [z][y][x] (x fastest)");
  w.write<float>("/truth/density", s.density, cube, "electrons");
  w.attribute("/truth/density", "description",
              "electron density per voxel at r = (j - M/2) voxel_size, index [z][y][x], band-limited to the grid");
  const double dq = s.q_max / static_cast<double>(m / 2);
  w.attribute("/truth", "q_spacing", dq);
  w.attribute("/truth", "q_max", s.q_max);
  w.attribute("/truth", "voxel_size", s.voxel_angstrom);
  w.attribute("/truth", "electrons", s.electrons);
  w.attribute("/truth", "seed", static_cast<double>(r.options.seed));
  w.attribute("/truth", "background", r.options.background);
  std::vector<double> positions;
  std::vector<std::int32_t> z;
  for (std::size_t j = 0; j < atoms.position.size(); ++j) {
    positions.insert(positions.end(), atoms.position[j].begin(), atoms.position[j].end());
    z.push_back(atoms.atomic_number[j]);
  }
  w.write<double>("/truth/atoms/position", positions, std::vector<std::size_t>{atoms.position.size(), 3},
                  "angstrom");
  w.write<std::int32_t>("/truth/atoms/atomic_number", z, std::vector<std::size_t>{z.size()});
  w.write<double>("/truth/atoms/occupancy", atoms.occupancy, std::vector<std::size_t>{z.size()});
  io::write_provenance(w, r.command_line, r.pdb);
  w.close();
  output.commit();

  SpiSimulateSummary summary;
  summary.atoms = atoms.position.size();
  summary.electrons = s.electrons;
  double total = 0;
  for (float v : s.images) total += v;
  summary.mean_photons = total / static_cast<double>(n);
  const auto edge = geometry::scattering_vector(s.detector, s.detector.beam_center_y_px, 0.0);
  summary.edge_resolution = 2 * std::numbers::pi / geometry::norm(edge);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace xpulse::pipelines
