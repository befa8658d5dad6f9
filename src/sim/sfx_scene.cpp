#include "sim/sfx_scene.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <numbers>

#include "sim/random.h"
#include "sim/sfx_spot_profile.h"
#include "sim/structure_factors.h"

namespace xpulse::sim {
namespace {

constexpr double kWaterRingAngstrom = 3.2;
constexpr double kWaterRingWidth = 0.03;  // 1/angstrom, Gaussian sigma in s

using geometry::Vec3;

}  // namespace

SfxScene make_sfx_scene(const AtomSet& atoms, const geometry::UnitCell& cell, const SfxOptions& o,
                        runtime::ThreadPool& pool) {
  o.validate();
  cell.validate();
  SfxScene scene;
  scene.ny = o.ny, scene.nx = o.nx;
  scene.cy = static_cast<double>(o.ny) / 2, scene.cx = static_cast<double>(o.nx) / 2;
  scene.pixel = o.pixel_size_m / o.distance_m;
  scene.k = 1 / o.wavelength();
  const double k = scene.k;
  const std::size_t ny = o.ny, nx = o.nx, pixels = ny * nx;
  // Per pixel: s (1/angstrom), polarisation (beam polarised along x) times solid angle relative to the centre.
  std::vector<double> s_of(pixels), factor(pixels);
  double s_max = 0;
  for (std::size_t y = 0; y < ny; ++y) {
    for (std::size_t x = 0; x < nx; ++x) {
      const double dx = (static_cast<double>(x) - scene.cx) * scene.pixel, dy = (static_cast<double>(y) - scene.cy) * scene.pixel;
      const double r = std::sqrt(dx * dx + dy * dy + 1);
      const Vec3 s{dx / r * k, dy / r * k, k / r - k};
      const std::size_t i = y * nx + x;
      s_of[i] = geometry::norm(s);
      s_max = std::max(s_max, s_of[i]);
      factor[i] = (1 - (dx / r) * (dx / r)) / (r * r * r);
    }
  }
  scene.resolution = 1 / s_max;

  // Reflections within the detector's reach, and their |F|^2.
  const geometry::Mat3 b = cell.b_matrix();
  auto& reflections = scene.reflections;
  const int hmax = static_cast<int>(std::ceil(s_max * cell.a)), kmax = static_cast<int>(std::ceil(s_max * cell.b)),
            lmax = static_cast<int>(std::ceil(s_max * cell.c));
  for (int h = -hmax; h <= hmax; ++h)
    for (int kk = -kmax; kk <= kmax; ++kk)
      for (int l = -lmax; l <= lmax; ++l) {
        if (h == 0 && kk == 0 && l == 0) continue;
        const Vec3 s = geometry::mul(b, Vec3{static_cast<double>(h), static_cast<double>(kk), static_cast<double>(l)});
        if (geometry::norm(s) <= s_max) reflections.push_back({s, 0, h, kk, l});
      }
  if (!reflections.empty()) {
    std::vector<std::array<int, 3>> hkl(reflections.size());
    for (std::size_t r = 0; r < reflections.size(); ++r) hkl[r] = {reflections[r].h, reflections[r].k, reflections[r].l};
    const std::vector<std::complex<double>> f = structure_factors(atoms, cell, hkl, 1e-6, pool.size());
    double mean = 0;
    for (const auto& v : f) mean += std::norm(v);
    mean /= static_cast<double>(f.size());
    for (std::size_t r = 0; r < reflections.size(); ++r) {
      const double s2 = geometry::dot(reflections[r].s, reflections[r].s);
      reflections[r].intensity = std::norm(f[r]) / mean * std::exp(-o.b_factor * s2 / 2);
    }
  }

  // Background (expected photons per pixel), the same for every frame.
  scene.background.assign(pixels, 0.0f);
  if (o.background == "water") {
    for (std::size_t i = 0; i < pixels; ++i) {
      const double d = s_of[i] - 1 / kWaterRingAngstrom;
      scene.background[i] = static_cast<float>(
          factor[i] * (o.water_photons * std::exp(-d * d / (2 * kWaterRingWidth * kWaterRingWidth)) + o.flat_photons));
    }
  }
  // Mask: a 4-row gap between the two halves, and 0.1% dead pixels.
  scene.mask.assign(pixels, 0);
  for (std::size_t y = ny / 2 - 2; y < ny / 2 + 2; ++y)
    for (std::size_t x = 0; x < nx; ++x) scene.mask[y * nx + x] = 1;
  Xoshiro256 random(o.seed, 0xDEAD);
  for (std::size_t i = 0; i < pixels / 1000; ++i) scene.mask[random() % pixels] = 1;
  return scene;
}

namespace {

// The spots of the crystal in `orientation` (lattice `lattice` of frame j), appended in reflection order.
void add_sfx_spots(const SfxScene& scene, const SfxOptions& o, std::size_t j, const geometry::Quaternion& orientation,
                   std::uint8_t lattice, std::vector<SfxSpot>& spots) {
  const geometry::Mat3 u = geometry::rotation_matrix(orientation);
  const double k = scene.k, lambda = 1 / k;
  const double mosaic = o.mosaicity_deg * std::numbers::pi / 180, size = o.crystal_size_m * 1e10;
  const double ny = static_cast<double>(scene.ny), nx = static_cast<double>(scene.nx);
  // A spot's expected error counts the background and readout noise over a 3-sigma disc.
  const double disc = std::numbers::pi * 9 * o.spot_sigma_px * o.spot_sigma_px;
  const double readout_photons = o.readout_noise_adu / o.adu_per_photon;
  for (const SfxReflection& r : scene.reflections) {
    const Vec3 s = geometry::mul(u, r.s);
    const Vec3 v{s[0], s[1], s[2] + k};
    if (v[2] <= 0) continue;
    const double length = geometry::norm(v), s_len = geometry::norm(s);
    const double eps = length - k;
    const double spectral = 0.5 * o.bandwidth * s_len * s_len * lambda;
    const double sigma2 = (s_len * mosaic) * (s_len * mosaic) + spectral * spectral + 1 / (size * size);
    const double partiality = std::exp(-eps * eps / (2 * sigma2));
    if (partiality < 1e-3) continue;
    const double x = scene.cx + v[0] / v[2] / scene.pixel, y = scene.cy + v[1] / v[2] / scene.pixel;
    if (x < -0.5 || y < -0.5 || x > nx - 0.5 || y > ny - 0.5) continue;
    // A Bragg spot's photons do not depend on the solid angle of the pixels it falls on (an oblique spot covers
    // more, smaller pixels); the beam's polarisation along x does reduce them.
    const double photons = o.fluence * r.intensity * partiality * (1 - (v[0] / length) * (v[0] / length));
    if (photons < 0.5) continue;
    const std::size_t centre = static_cast<std::size_t>(std::lround(std::clamp(y, 0.0, ny - 1))) * scene.nx +
                               static_cast<std::size_t>(std::lround(std::clamp(x, 0.0, nx - 1)));
    const double noise = std::sqrt(photons + disc * (scene.background[centre] + readout_photons * readout_photons));
    spots.push_back({static_cast<std::uint32_t>(j), x, y, photons, noise, r.h, r.k, r.l, lattice});
  }
}

}  // namespace

SfxFrameTruth predict_sfx_frame(const SfxScene& scene, const SfxOptions& o, std::size_t j) {
  SfxFrameTruth truth;
  Xoshiro256 random(o.seed, j + 1);
  if (!(random.uniform() < o.hit_fraction)) return truth;
  truth.hit = true;
  // Uniform on the rotations (Shoemake).
  const double u1 = random.uniform(), u2 = 2 * std::numbers::pi * random.uniform(),
               u3 = 2 * std::numbers::pi * random.uniform();
  truth.orientation = {std::sqrt(1 - u1) * std::sin(u2), std::sqrt(1 - u1) * std::cos(u2), std::sqrt(u1) * std::sin(u3),
                       std::sqrt(u1) * std::cos(u3)};
  // A second crystal in the beam on a fraction of the hits, drawn after the first so that the first is the same
  // with or without it.
  if (o.second_lattice_fraction > 0 && random.uniform() < o.second_lattice_fraction) {
    const double v1 = random.uniform(), v2 = 2 * std::numbers::pi * random.uniform(),
                 v3 = 2 * std::numbers::pi * random.uniform();
    truth.second = true;
    truth.second_orientation = {std::sqrt(1 - v1) * std::sin(v2), std::sqrt(1 - v1) * std::cos(v2),
                                std::sqrt(v1) * std::sin(v3), std::sqrt(v1) * std::cos(v3)};
  }
  add_sfx_spots(scene, o, j, truth.orientation, 0, truth.spots);
  if (truth.second) add_sfx_spots(scene, o, j, truth.second_orientation, 1, truth.spots);
  return truth;
}

DetectorNoise sfx_detector_noise(const SfxOptions& o) { return {o.adu_per_photon, o.readout_noise_adu}; }

void render_sfx_frame(const SfxScene& scene, const SfxOptions& o, const std::vector<SfxSpot>& spots,
                      std::size_t frame, float* out) {
  const long ny = static_cast<long>(scene.ny), nx = static_cast<long>(scene.nx);
  std::vector<float> expected(scene.background);
  const long radius = spot_radius(o.spot_sigma_px);
  for (const SfxSpot& spot : spots) {
    const long x0 = std::lround(spot.x), y0 = std::lround(spot.y);
    for (long yy = std::max(0L, y0 - radius); yy <= std::min(ny - 1, y0 + radius); ++yy) {
      const double share_y = pixel_share(spot.y, o.spot_sigma_px, yy);
      for (long xx = std::max(0L, x0 - radius); xx <= std::min(nx - 1, x0 + radius); ++xx) {
        expected[static_cast<std::size_t>(yy * nx + xx)] +=
            spot_share(spot.photons, share_y, pixel_share(spot.x, o.spot_sigma_px, xx));
      }
    }
  }
  const DetectorNoise detector = sfx_detector_noise(o);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    out[i] = scene.mask[i] ? 0.0f : detector_adu(expected[i], detector, o.seed, frame, static_cast<std::uint32_t>(i));
  }
}

}  // namespace xpulse::sim
