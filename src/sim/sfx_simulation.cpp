#include "sim/sfx_simulation.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <future>
#include <memory>
#include <span>

#include <fmt/format.h>

#include "core/error.h"
#include "sim/cuda_sfx_renderer.h"
#include "sim/sfx_scene.h"

namespace xpulse::sim {
namespace {

constexpr double kHcEvAngstrom = 12398.4198;

using geometry::Vec3;

}  // namespace

void SfxOptions::validate() const {
  if (frames < 1) throw InvalidArgument("--frames must be >= 1");
  if (!(hit_fraction >= 0 && hit_fraction <= 1)) throw InvalidArgument(fmt::format("--hit-fraction must be in [0, 1], got {}", hit_fraction));
  if (ny < 8 || nx < 8) throw InvalidArgument("--pixels must be at least 8x8");
  if (!(pixel_size_m > 0) || !(distance_m > 0) || !(energy_ev > 0)) {
    throw InvalidArgument("--pixel-size, --distance and --energy must be > 0");
  }
  if (!(crystal_size_m > 0)) throw InvalidArgument("--crystal-size must be > 0");
  if (!(mosaicity_deg >= 0) || !(bandwidth >= 0)) throw InvalidArgument("--mosaicity and --bandwidth must be >= 0");
  if (!(fluence >= 0) || !(water_photons >= 0) || !(flat_photons >= 0)) {
    throw InvalidArgument("--fluence and the background levels must be >= 0");
  }
  if (background != "water" && background != "none") {
    throw InvalidArgument(fmt::format("--background '{}' is not known; use water or none", background));
  }
  if (!(second_lattice_fraction >= 0 && second_lattice_fraction <= 1)) {
    throw InvalidArgument(fmt::format("--second-lattice-fraction must be in [0, 1], got {}", second_lattice_fraction));
  }
  if (!(adu_per_photon > 0) || !(readout_noise_adu >= 0)) throw InvalidArgument("--gain must be > 0 and --readout-noise >= 0");
  if (!(spot_sigma_px > 0)) throw InvalidArgument("the spot width must be > 0");
}

double SfxOptions::wavelength() const { return kHcEvAngstrom / energy_ev; }

AtomSet unit_cell_atoms(const AtomSet& asu, const geometry::UnitCell& cell, const std::string& space_group) {
  // Operators on fractional coordinates: rotation (diagonal signs here) and translation.
  struct Op {
    std::array<int, 3> sign;
    std::array<double, 3> shift;
  };
  std::vector<Op> ops;
  std::string g;
  for (char c : space_group) if (c != ' ') g += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (g == "P1") {
    ops = {{{1, 1, 1}, {0, 0, 0}}};
  } else if (g == "P1211" || g == "P21") {
    ops = {{{1, 1, 1}, {0, 0, 0}}, {{-1, 1, -1}, {0, 0.5, 0}}};
  } else if (g == "C121" || g == "C2") {
    ops = {{{1, 1, 1}, {0, 0, 0}}, {{-1, 1, -1}, {0, 0, 0}}, {{1, 1, 1}, {0.5, 0.5, 0}}, {{-1, 1, -1}, {0.5, 0.5, 0}}};
  } else if (g == "P212121") {
    ops = {{{1, 1, 1}, {0, 0, 0}}, {{-1, -1, 1}, {0.5, 0, 0.5}}, {{-1, 1, -1}, {0, 0.5, 0.5}}, {{1, -1, -1}, {0.5, 0.5, 0}}};
  } else {
    throw InputError(fmt::format("space group '{}' is not known to the SFX simulation (P 1, P 1 21 1, C 1 2 1, "
                                 "P 21 21 21)", space_group));
  }
  const geometry::Mat3 real = geometry::inverse(geometry::transpose(cell.b_matrix()));  // columns a, b, c
  const geometry::Mat3 to_fractional = geometry::inverse(real);
  AtomSet out;
  for (const Op& op : ops) {
    for (std::size_t j = 0; j < asu.position.size(); ++j) {
      const Vec3 f = geometry::mul(to_fractional, asu.position[j]);
      Vec3 g3{};
      for (int d = 0; d < 3; ++d) g3[d] = op.sign[d] * f[d] + op.shift[d];
      out.position.push_back(geometry::mul(real, g3));
      out.atomic_number.push_back(asu.atomic_number[j]);
      out.occupancy.push_back(asu.occupancy[j]);
    }
  }
  return out;
}

SfxSimulation simulate_sfx(const AtomSet& atoms, const geometry::UnitCell& cell, const SfxOptions& o,
                           runtime::ThreadPool& pool, const SfxDevice& device, const SfxFrameSink& sink) {
  const SfxScene scene = make_sfx_scene(atoms, cell, o, pool);
  const std::size_t n = o.frames, pixels = scene.ny * scene.nx;
  SfxSimulation sim;
  sim.resolution = scene.resolution;
  sim.reflections = scene.reflections.size();
  for (const SfxReflection& r : scene.reflections) {
    sim.truth_hkl.push_back({r.h, r.k, r.l}), sim.truth_intensity.push_back(r.intensity);
  }
  sim.mask = scene.mask;
  const std::size_t batch = std::clamp<std::size_t>(
      std::max<std::size_t>((std::size_t{256} << 20) / (pixels * sizeof(float)), pool.size()), 1, n);
  std::unique_ptr<CudaSfxRenderer> renderer;
  if (device.cuda) renderer = std::make_unique<CudaSfxRenderer>(scene, o, batch, device.index);
  std::vector<SfxFrameTruth> truth(n);
  // Two buffers: the sink takes one batch (on its own thread) while the next is rendered into the other.
  std::vector<float> buffers[2] = {std::vector<float>(batch * pixels), std::vector<float>(batch * pixels)};
  std::future<void> sinking;
  for (std::size_t first = 0, b = 0; first < n; first += batch, b ^= 1) {
    const std::size_t count = std::min(batch, n - first);
    std::vector<float>& frames = buffers[b];
    if (renderer) {
      // The truth on the host's cores, the pixels on the GPU.
      pool.parallel_for(count, [&](std::size_t j, unsigned) { truth[first + j] = predict_sfx_frame(scene, o, first + j); });
      renderer->render(first, std::span<const SfxFrameTruth>(truth).subspan(first, count), frames.data());
    } else {
      pool.parallel_for(count, [&](std::size_t j, unsigned) {
        truth[first + j] = predict_sfx_frame(scene, o, first + j);
        render_sfx_frame(scene, o, truth[first + j].spots, first + j, frames.data() + j * pixels);
      });
    }
    if (sinking.valid()) sinking.get();  // in order, one at a time; rethrows the sink's error
    sinking = std::async(std::launch::async, [&sink, &frames, first, count, pixels] {
      sink(first, std::span<const float>(frames.data(), count * pixels));
    });
  }
  if (sinking.valid()) sinking.get();
  sim.hit.resize(n);
  sim.orientations.resize(n);
  sim.lattices.resize(n);
  sim.second_orientations.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    sim.hit[j] = truth[j].hit ? 1 : 0;
    sim.orientations[j] = truth[j].orientation;
    sim.lattices[j] = truth[j].hit ? (truth[j].second ? 2 : 1) : 0;
    sim.second_orientations[j] = truth[j].second_orientation;
    sim.spots.insert(sim.spots.end(), truth[j].spots.begin(), truth[j].spots.end());
  }
  return sim;
}

SfxSimulation simulate_sfx(const AtomSet& atoms, const geometry::UnitCell& cell, const SfxOptions& o,
                           runtime::ThreadPool& pool, const SfxDevice& device) {
  o.validate();
  std::vector<float> frames(o.frames * o.ny * o.nx);
  SfxSimulation sim = simulate_sfx(atoms, cell, o, pool, device, [&](std::size_t first, std::span<const float> batch) {
    std::copy(batch.begin(), batch.end(), frames.begin() + static_cast<std::ptrdiff_t>(first * o.ny * o.nx));
  });
  sim.frames = std::move(frames);
  return sim;
}

}  // namespace xpulse::sim
