#include "pipelines/sfx_simulate.h"

#include <algorithm>
#include <chrono>
#include <span>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "io/pdb_reader.h"
#include "pipelines/sfx_peaks.h"
#include "runtime/devices.h"
#include "runtime/progress.h"
#include "runtime/thread_pool.h"
#include "sim/form_factors.h"

namespace xpulse::pipelines {

Crystal load_crystal(const std::string& path) {
  const io::PdbStructure pdb = io::read_pdb(path);
  if (!pdb.cell) throw InputError(fmt::format("PDB file '{}' has no CRYST1 record: the unit cell is needed", path));
  Crystal c;
  c.cell = {pdb.cell->a, pdb.cell->b, pdb.cell->c, pdb.cell->alpha, pdb.cell->beta, pdb.cell->gamma};
  sim::AtomSet asu;
  for (const io::PdbAtom& a : pdb.atoms) {
    if (a.water) continue;
    asu.position.push_back(a.position);
    asu.atomic_number.push_back(sim::atomic_number(a.element));
    asu.occupancy.push_back(a.occupancy);
  }
  c.atoms = sim::unit_cell_atoms(asu, c.cell, pdb.cell->space_group);
  return c;
}

SfxSimulateSummary simulate_sfx_file(const SfxSimulateRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  const sim::SfxOptions& o = r.options;
  o.validate();
  const int cuda_device = runtime::select_cuda_device(r.device, r.cuda_device);
  const Crystal crystal = load_crystal(r.pdb);
  io::AtomicOutput output(r.out);
  runtime::ThreadPool pool(r.threads);
  const std::size_t n = o.frames, ny = o.ny, nx = o.nx;
  io::Writer w(output.partial_path());
  // The frames go to the file batch by batch as they are rendered, so memory does not grow with --frames.
  w.write<float>(kSfxData, {}, std::vector<std::size_t>{n, ny, nx}, "ADU", std::vector<std::size_t>{1, ny, nx});
  runtime::Progress progress("simulate sfx", n, "frames", "frames", r.progress);
  const sim::SfxSimulation s = sim::simulate_sfx(
      crystal.atoms, crystal.cell, o, pool, sim::SfxDevice{cuda_device >= 0, std::max(cuda_device, 0)},
      [&](std::size_t first, std::span<const float> frames) {
        w.write_rows<float>(kSfxData, first, frames);
        progress.advance(frames.size() / (ny * nx), frames.size() / (ny * nx));
      });
  progress.finish();
  w.write_scalar(kSfxDetector + "distance", o.distance_m, "m");
  w.write_scalar(kSfxDetector + "x_pixel_size", o.pixel_size_m, "m");
  w.write_scalar(kSfxDetector + "y_pixel_size", o.pixel_size_m, "m");
  w.write_scalar(kSfxDetector + "beam_center_x", static_cast<double>(nx) / 2, "pixel");
  w.write_scalar(kSfxDetector + "beam_center_y", static_cast<double>(ny) / 2, "pixel");
  w.write_scalar(kSfxDetector + "adu_per_photon", o.adu_per_photon, "ADU");
  w.write<std::uint8_t>(kSfxDetector + "mask", s.mask, std::vector<std::size_t>{ny, nx});
  w.attribute(kSfxDetector + "mask", "description", "nonzero = bad pixel (panel gap, dead)");
  w.write_scalar("/entry_1/instrument_1/source_1/energy", o.energy_ev * 1.602176634e-19, "J");
  w.write<std::uint8_t>("/truth/hit", s.hit, std::vector<std::size_t>{n});
  std::vector<double> quaternions;
  for (const auto& q : s.orientations) quaternions.insert(quaternions.end(), q.begin(), q.end());
  w.write<double>("/truth/orientations", quaternions, std::vector<std::size_t>{n, 4});
  w.attribute("/truth/orientations", "description",
              "unit quaternion (w, x, y, z) of each frame's crystal: lab = R(q) crystal; UB = R(q) B");
  w.write<std::uint8_t>("/truth/lattices", s.lattices, std::vector<std::size_t>{n});
  w.attribute("/truth/lattices", "description", "crystals in each frame (0 blank, 1, or 2 with a second crystal)");
  quaternions.clear();
  for (const auto& q : s.second_orientations) quaternions.insert(quaternions.end(), q.begin(), q.end());
  w.write<double>("/truth/second_orientations", quaternions, std::vector<std::size_t>{n, 4});
  const std::size_t m = s.spots.size();
  std::vector<std::uint32_t> frame(m);
  std::vector<std::uint8_t> lattice(m);
  std::vector<double> x(m), y(m), photons(m), sigma(m);
  std::vector<float> hkl(3 * m);
  for (std::size_t k = 0; k < m; ++k) {
    const sim::SfxSpot& p = s.spots[k];
    lattice[k] = p.lattice;
    frame[k] = p.frame, x[k] = p.x, y[k] = p.y, photons[k] = p.photons, sigma[k] = p.sigma;
    hkl[3 * k] = static_cast<float>(p.h), hkl[3 * k + 1] = static_cast<float>(p.k), hkl[3 * k + 2] = static_cast<float>(p.l);
  }
  const std::vector<std::size_t> spots = {m};
  w.write<std::uint32_t>("/truth/spots/frame", frame, spots);
  w.write<std::uint8_t>("/truth/spots/lattice", lattice, spots);
  w.write<double>("/truth/spots/x", x, spots, "pixel");
  w.write<double>("/truth/spots/y", y, spots, "pixel");
  w.write<double>("/truth/spots/photons", photons, spots, "photons");
  w.write<double>("/truth/spots/sigma", sigma, spots, "photons");
  w.write<float>("/truth/spots/hkl", hkl, std::vector<std::size_t>{m, 3});
  w.attribute("/truth/spots", "description",
              "every predicted spot of every hit: centre (column x, row y), expected photons, and their expected "
              "error sqrt(I + n b) over a 3-sigma disc");
  std::vector<std::int32_t> truth_hkl;
  for (const auto& h : s.truth_hkl) truth_hkl.insert(truth_hkl.end(), h.begin(), h.end());
  w.write<std::int32_t>("/truth/reflections/hkl", truth_hkl, std::vector<std::size_t>{s.truth_hkl.size(), 3});
  w.write<double>("/truth/reflections/intensity", s.truth_intensity, std::vector<std::size_t>{s.truth_intensity.size()});
  w.attribute("/truth/reflections", "description",
              "every reflection within the resolution: |F|^2 / <|F|^2> times the Wilson factor exp(-B s^2 / 2), "
              "what a merge of the spots' photons is proportional to");
  w.attribute("/truth", "resolution", s.resolution);
  w.attribute("/truth", "seed", static_cast<double>(o.seed));
  io::write_provenance(w, r.command_line, r.pdb);
  w.close();
  output.commit();

  SfxSimulateSummary summary;
  for (auto h : s.hit) summary.hits += h;
  summary.spots = m;
  summary.reflections = s.reflections;
  summary.resolution = s.resolution;
  summary.device = cuda_device >= 0 ? "cuda" : "cpu";
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace xpulse::pipelines
