#include "sim/spi_simulation.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include <fmt/format.h>

#include "core/error.h"
#include "spi/grid_transform.h"
#include "sim/random.h"

namespace xpulse::sim {
namespace {

constexpr std::size_t kImagesPerBatch = 128;

// Independent random streams per image: orientation, jitter and noise never depend on the batch or threads.
constexpr std::uint64_t kJitterStream = 1ull << 40;
constexpr std::uint64_t kNoiseStream = 2ull << 40;

}  // namespace

void SpiOptions::validate() const {
  auto positive = [](double v, const char* name) {
    if (!(v > 0) || !std::isfinite(v)) throw InvalidArgument(fmt::format("{} must be > 0, got {}", name, v));
  };
  auto non_negative = [](double v, const char* name) {
    if (!(v >= 0) || !std::isfinite(v)) throw InvalidArgument(fmt::format("{} must be >= 0, got {}", name, v));
  };
  if (images < 1) throw InvalidArgument("--images must be >= 1");
  if (pixels < 2) throw InvalidArgument("--pixels must be >= 2");
  positive(detector_width_m, "--detector-width");
  positive(distance_m, "--distance");
  positive(energy_ev, "--energy");
  positive(photons, "--photons");
  positive(beam_radius_m, "--beam-radius");
  non_negative(beam_jitter_px, "--beam-jitter");
  non_negative(fluence_jitter, "--fluence-jitter");
  non_negative(background, "--background");
  if (grid < 5 || grid % 2 == 0) throw InvalidArgument(fmt::format("--grid must be odd and >= 5, got {}", grid));
}

geometry::Detector spi_detector(const SpiOptions& o) {
  geometry::Detector d;
  d.ny = d.nx = o.pixels;
  d.distance_m = o.distance_m;
  d.x_pixel_size_m = d.y_pixel_size_m = o.detector_width_m / static_cast<double>(o.pixels);
  d.beam_center_x_px = d.beam_center_y_px = 0.5 * (static_cast<double>(o.pixels) - 1.0);
  d.energy_ev = o.energy_ev;
  d.polarization_fraction = 1.0;
  return d;
}

void spi_pixel_geometry(const geometry::Detector& detector, double dy, double dx, std::vector<double>& q,
                        std::vector<double>& polarization, std::vector<double>& solid_angle) {
  geometry::Detector d = detector;
  d.beam_center_y_px += dy;
  d.beam_center_x_px += dx;
  const std::size_t n = d.ny * d.nx;
  q.resize(3 * n);
  polarization.resize(n);
  solid_angle.resize(n);
  for (std::size_t y = 0; y < d.ny; ++y) {
    for (std::size_t x = 0; x < d.nx; ++x) {
      const std::size_t p = y * d.nx + x;
      const auto v = geometry::scattering_vector(d, static_cast<double>(y), static_cast<double>(x));
      for (int k = 0; k < 3; ++k) q[3 * p + static_cast<std::size_t>(k)] = v[static_cast<std::size_t>(k)];
      polarization[p] = geometry::polarization_factor(d, static_cast<double>(y), static_cast<double>(x));
      solid_angle[p] = geometry::solid_angle(d, static_cast<double>(y), static_cast<double>(x));
    }
  }
}

SpiSimulation simulate_spi(const AtomSet& atoms, const SpiOptions& o, runtime::ThreadPool& pool) {
  o.validate();
  SpiSimulation s;
  s.detector = spi_detector(o);
  s.detector.validate();
  const std::size_t pixels = o.pixels * o.pixels, n = o.images;
  spi_pixel_geometry(s.detector, 0, 0, s.q, s.polarization, s.solid_angle);
  for (std::size_t p = 0; p < pixels; ++p) {
    s.q_max = std::max(s.q_max, std::hypot(s.q[3 * p], s.q[3 * p + 1], s.q[3 * p + 2]));
  }
  for (std::size_t j = 0; j < atoms.position.size(); ++j) {
    s.electrons += atoms.atomic_number[j] * (atoms.occupancy.empty() ? 1.0 : atoms.occupancy[j]);
  }
  // Beam-centre jitter (truncated at 8 sigma) moves q: the transform must cover the farthest corner then.
  const double max_shift = 8 * o.beam_jitter_px;
  double q_bound = s.q_max;
  for (double dy : {-max_shift, max_shift}) {
    for (double dx : {-max_shift, max_shift}) {
      geometry::Detector shifted = s.detector;
      shifted.beam_center_y_px += dy;
      shifted.beam_center_x_px += dx;
      for (double y : {0.0, static_cast<double>(o.pixels - 1)}) {
        for (double x : {0.0, static_cast<double>(o.pixels - 1)}) {
          q_bound = std::max(q_bound, geometry::norm(geometry::scattering_vector(shifted, y, x)));
        }
      }
    }
  }

  // Orientation i comes from stream i of the seed; jitter and noise use streams from 2^40 and 2^41 on.
  s.orientations = geometry::random_orientations(n, o.seed);
  s.beam_offset.assign(2 * n, 0.0);
  s.fluence.assign(n, 1.0);
  for (std::size_t i = 0; i < n; ++i) {
    Xoshiro256 rng(o.seed, kJitterStream + i);
    std::normal_distribution<double> normal;
    // The fluence is truncated at zero.
    s.beam_offset[2 * i] = std::clamp(o.beam_jitter_px * normal(rng), -max_shift, max_shift);
    s.beam_offset[2 * i + 1] = std::clamp(o.beam_jitter_px * normal(rng), -max_shift, max_shift);
    s.fluence[i] = std::max(0.0, 1.0 + o.fluence_jitter * normal(rng));
  }

  MolecularTransform transform(atoms, q_bound * (1 + 1e-9), o.eps, static_cast<unsigned>(pool.size()));
  const double scale = o.photons / (std::numbers::pi * o.beam_radius_m * o.beam_radius_m) * kElectronRadiusM *
                       kElectronRadiusM;
  s.images.resize(n * pixels);
  std::vector<double> shifted_q, shifted_pol, shifted_omega;  // per image, only with beam jitter
  std::vector<std::complex<double>> f;
  for (std::size_t first = 0; first < n; first += kImagesPerBatch) {
    const std::size_t count = std::min(kImagesPerBatch, n - first);
    std::vector<double> qx(count * pixels), qy(count * pixels), qz(count * pixels);
    std::vector<double> weight(count * pixels);
    for (std::size_t b = 0; b < count; ++b) {
      const std::size_t i = first + b;
      if (o.beam_jitter_px > 0) {
        spi_pixel_geometry(s.detector, s.beam_offset[2 * i], s.beam_offset[2 * i + 1], shifted_q, shifted_pol,
                           shifted_omega);
      }
      const auto& q = o.beam_jitter_px > 0 ? shifted_q : s.q;
      const auto& pol = o.beam_jitter_px > 0 ? shifted_pol : s.polarization;
      const auto& omega = o.beam_jitter_px > 0 ? shifted_omega : s.solid_angle;
      const geometry::Mat3 rt = geometry::transpose(geometry::rotation_matrix(s.orientations[i]));
      for (std::size_t p = 0; p < pixels; ++p) {
        const geometry::Vec3 m = geometry::mul(rt, geometry::Vec3{q[3 * p], q[3 * p + 1], q[3 * p + 2]});
        const std::size_t k = b * pixels + p;
        qx[k] = m[0], qy[k] = m[1], qz[k] = m[2];
        weight[k] = s.fluence[i] * scale * pol[p] * omega[p];
      }
    }
    f.resize(count * pixels);
    transform.evaluate(f.size(), qx.data(), qy.data(), qz.data(), f.data());
    pool.parallel_for(count, [&](std::size_t b, unsigned) {
      const std::size_t i = first + b;
      Xoshiro256 rng(o.seed, kNoiseStream + i);
      for (std::size_t p = 0; p < pixels; ++p) {
        const std::size_t k = b * pixels + p;
        const double expected = weight[k] * std::norm(f[k]) + o.background;
        double value = expected;
        if (o.noise) value = expected > 0 ? static_cast<double>(std::poisson_distribution<long long>(expected)(rng)) : 0.0;
        s.images[i * pixels + p] = static_cast<float>(value);
      }
    });
  }

  // Truth on the M^3 grid: |F|^2 at q = (i - M/2) dq, and the density from F (spi/grid_transform.h).
  const std::size_t m = o.grid, m3 = m * m * m;
  const double dq = s.q_max / static_cast<double>(m / 2);
  s.voxel_angstrom = 2.0 * std::numbers::pi / (static_cast<double>(m) * dq);
  std::vector<double> gx(m3), gy(m3), gz(m3);
  for (std::size_t k = 0; k < m3; ++k) {
    gx[k] = (static_cast<double>(k % m) - static_cast<double>(m / 2)) * dq;
    gy[k] = (static_cast<double>((k / m) % m) - static_cast<double>(m / 2)) * dq;
    gz[k] = (static_cast<double>(k / (m * m)) - static_cast<double>(m / 2)) * dq;
  }
  MolecularTransform grid_transform(atoms, s.q_max * std::sqrt(3.0) * (1 + 1e-9), o.eps,
                                    static_cast<unsigned>(pool.size()));
  std::vector<std::complex<double>> fg(m3);
  grid_transform.evaluate(m3, gx.data(), gy.data(), gz.data(), fg.data());
  s.intensity.resize(m3);
  for (std::size_t k = 0; k < m3; ++k) s.intensity[k] = static_cast<float>(std::norm(fg[k]));
  const std::vector<std::complex<double>> rho = spi::real_space_from_reciprocal(fg, m, static_cast<unsigned>(pool.size()));
  s.density.resize(m3);
  for (std::size_t k = 0; k < m3; ++k) s.density[k] = static_cast<float>(rho[k].real());
  return s;
}

}  // namespace xpulse::sim
