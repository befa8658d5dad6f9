#include "sim/sfx_simulation.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include <fmt/format.h>

#include "core/error.h"
#include "sim/random.h"

namespace xpulse::sim {
namespace {

constexpr double kHcEvAngstrom = 12398.4198;
constexpr double kWaterRingAngstrom = 3.2;
constexpr double kWaterRingWidth = 0.03;  // 1/angstrom, Gaussian sigma in s

using geometry::Vec3;

// The fraction of a unit Gaussian spot (sigma, centred at c) that falls in pixel [i - 0.5, i + 0.5).
double pixel_share(double c, double sigma, long i) {
  const double s = sigma * std::numbers::sqrt2;
  return 0.5 * (std::erf((static_cast<double>(i) + 0.5 - c) / s) - std::erf((static_cast<double>(i) - 0.5 - c) / s));
}

struct Reflection {
  Vec3 s;       // crystal frame, 1/angstrom (no 2 pi)
  double intensity = 0;  // |F|^2 / <|F|^2> x Wilson factor
  int h = 0, k = 0, l = 0;
};

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
                           runtime::ThreadPool& pool) {
  o.validate();
  cell.validate();
  const double lambda = o.wavelength(), k = 1 / lambda;
  const std::size_t ny = o.ny, nx = o.nx, pixels = ny * nx;
  const double cy = static_cast<double>(ny) / 2, cx = static_cast<double>(nx) / 2;
  const double pixel = o.pixel_size_m / o.distance_m;  // in units of the distance
  // Per pixel: s (1/angstrom), polarisation (beam polarised along x) times solid angle relative to the centre.
  std::vector<double> s_of(pixels), factor(pixels);
  double s_max = 0;
  for (std::size_t y = 0; y < ny; ++y) {
    for (std::size_t x = 0; x < nx; ++x) {
      const double dx = (static_cast<double>(x) - cx) * pixel, dy = (static_cast<double>(y) - cy) * pixel;
      const double r = std::sqrt(dx * dx + dy * dy + 1);
      const Vec3 out{dx / r * k, dy / r * k, k / r};
      const Vec3 s{out[0], out[1], out[2] - k};
      const std::size_t i = y * nx + x;
      s_of[i] = geometry::norm(s);
      s_max = std::max(s_max, s_of[i]);
      factor[i] = (1 - (dx / r) * (dx / r)) / (r * r * r);
    }
  }
  SfxSimulation sim;
  sim.resolution = 1 / s_max;

  // Reflections within the detector's reach, and their |F|^2.
  const geometry::Mat3 b = cell.b_matrix();
  std::vector<Reflection> reflections;
  const int hmax = static_cast<int>(std::ceil(s_max * cell.a)), kmax = static_cast<int>(std::ceil(s_max * cell.b)),
            lmax = static_cast<int>(std::ceil(s_max * cell.c));
  for (int h = -hmax; h <= hmax; ++h)
    for (int kk = -kmax; kk <= kmax; ++kk)
      for (int l = -lmax; l <= lmax; ++l) {
        if (h == 0 && kk == 0 && l == 0) continue;
        const Vec3 s = geometry::mul(b, Vec3{static_cast<double>(h), static_cast<double>(kk), static_cast<double>(l)});
        if (geometry::norm(s) <= s_max) reflections.push_back({s, 0, h, kk, l});
      }
  sim.reflections = reflections.size();
  if (!reflections.empty()) {
    const double two_pi = 2 * std::numbers::pi;
    std::vector<double> qx(reflections.size()), qy(reflections.size()), qz(reflections.size());
    for (std::size_t r = 0; r < reflections.size(); ++r) {
      qx[r] = two_pi * reflections[r].s[0], qy[r] = two_pi * reflections[r].s[1], qz[r] = two_pi * reflections[r].s[2];
    }
    std::vector<std::complex<double>> f(reflections.size());
    MolecularTransform transform(atoms, two_pi * s_max * 1.001, 1e-6, pool.size());
    transform.evaluate(reflections.size(), qx.data(), qy.data(), qz.data(), f.data());
    double mean = 0;
    for (const auto& v : f) mean += std::norm(v);
    mean /= static_cast<double>(f.size());
    for (std::size_t r = 0; r < reflections.size(); ++r) {
      const double s2 = geometry::dot(reflections[r].s, reflections[r].s);
      reflections[r].intensity = std::norm(f[r]) / mean * std::exp(-o.b_factor * s2 / 2);
    }
  }

  // Background (expected photons per pixel), the same for every frame.
  std::vector<float> background(pixels, 0.0f);
  if (o.background == "water") {
    for (std::size_t i = 0; i < pixels; ++i) {
      const double d = s_of[i] - 1 / kWaterRingAngstrom;
      background[i] = static_cast<float>(factor[i] * (o.water_photons * std::exp(-d * d / (2 * kWaterRingWidth * kWaterRingWidth)) +
                                                      o.flat_photons));
    }
  }
  // Mask: a 4-row gap between the two halves, and 0.1% dead pixels.
  sim.mask.assign(pixels, 0);
  for (std::size_t y = ny / 2 - 2; y < ny / 2 + 2; ++y)
    for (std::size_t x = 0; x < nx; ++x) sim.mask[y * nx + x] = 1;
  {
    Xoshiro256 random(o.seed, 0xDEAD);
    for (std::size_t i = 0; i < pixels / 1000; ++i) sim.mask[random() % pixels] = 1;
  }

  const std::size_t n = o.frames;
  sim.frames.resize(n * pixels);
  sim.hit.assign(n, 0);
  sim.orientations.assign(n, geometry::Quaternion{1, 0, 0, 0});
  std::vector<std::vector<SfxSpot>> spots(n);
  const double mosaic = o.mosaicity_deg * std::numbers::pi / 180, size = o.crystal_size_m * 1e10;
  pool.parallel_for(n, [&](std::size_t j, unsigned) {
    Xoshiro256 random(o.seed, j + 1);
    std::vector<float> expected(background);
    if (random.uniform() < o.hit_fraction) {
      sim.hit[j] = 1;
      // Uniform on the rotations (Shoemake).
      const double u1 = random.uniform(), u2 = 2 * std::numbers::pi * random.uniform(),
                   u3 = 2 * std::numbers::pi * random.uniform();
      sim.orientations[j] = {std::sqrt(1 - u1) * std::sin(u2), std::sqrt(1 - u1) * std::cos(u2),
                             std::sqrt(u1) * std::sin(u3), std::sqrt(u1) * std::cos(u3)};
      const geometry::Mat3 u = geometry::rotation_matrix(sim.orientations[j]);
      const long radius = static_cast<long>(std::ceil(4 * o.spot_sigma_px));
      for (const Reflection& r : reflections) {
        const Vec3 s = geometry::mul(u, r.s);
        const Vec3 v{s[0], s[1], s[2] + k};
        if (v[2] <= 0) continue;
        const double length = geometry::norm(v), s_len = geometry::norm(s);
        const double eps = length - k;
        const double sigma2 = (s_len * mosaic) * (s_len * mosaic) + (0.5 * o.bandwidth * s_len * s_len * lambda) *
                              (0.5 * o.bandwidth * s_len * s_len * lambda) + 1 / (size * size);
        const double partiality = std::exp(-eps * eps / (2 * sigma2));
        if (partiality < 1e-3) continue;
        const double x = cx + v[0] / v[2] / pixel, y = cy + v[1] / v[2] / pixel;
        if (x < -0.5 || y < -0.5 || x > static_cast<double>(nx) - 0.5 || y > static_cast<double>(ny) - 0.5) continue;
        const double c = v[2] / length;
        const double photons = o.fluence * r.intensity * partiality * (1 - (v[0] / length) * (v[0] / length)) * c * c * c;
        if (photons < 0.5) continue;
        for (long yy = std::lround(y) - radius; yy <= std::lround(y) + radius; ++yy) {
          if (yy < 0 || yy >= static_cast<long>(ny)) continue;
          const double share_y = pixel_share(y, o.spot_sigma_px, yy);
          for (long xx = std::lround(x) - radius; xx <= std::lround(x) + radius; ++xx) {
            if (xx < 0 || xx >= static_cast<long>(nx)) continue;
            const std::size_t i = static_cast<std::size_t>(yy) * nx + static_cast<std::size_t>(xx);
            expected[i] += static_cast<float>(photons * share_y * pixel_share(x, o.spot_sigma_px, xx));
          }
        }
        const double bg = background[static_cast<std::size_t>(std::lround(std::clamp(y, 0.0, static_cast<double>(ny - 1)))) * nx +
                        static_cast<std::size_t>(std::lround(std::clamp(x, 0.0, static_cast<double>(nx - 1))))];
        const double disc = std::numbers::pi * 9 * o.spot_sigma_px * o.spot_sigma_px;
        const double noise = std::sqrt(photons + disc * (bg + o.readout_noise_adu * o.readout_noise_adu /
                                                                  (o.adu_per_photon * o.adu_per_photon)));
        spots[j].push_back({static_cast<std::uint32_t>(j), x, y, photons, noise, r.h, r.k, r.l});
      }
    }
    std::normal_distribution<double> readout(0.0, o.readout_noise_adu);
    float* frame = sim.frames.data() + j * pixels;
    for (std::size_t i = 0; i < pixels; ++i) {
      if (sim.mask[i]) {
        frame[i] = 0;
        continue;
      }
      const double counts = expected[i] > 0 ? static_cast<double>(std::poisson_distribution<long long>(expected[i])(random)) : 0.0;
      frame[i] = static_cast<float>(counts * o.adu_per_photon + readout(random));
    }
  });
  for (auto& s : spots) sim.spots.insert(sim.spots.end(), s.begin(), s.end());
  return sim;
}

}  // namespace xpulse::sim
