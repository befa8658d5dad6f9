#include "sim/pump_probe.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include <fmt/format.h>

#include "core/error.h"
#include "runtime/thread_pool.h"
#include "sim/random.h"

namespace xpulse::sim {

namespace {

constexpr double pi = std::numbers::pi;

// Sets the detector distance and the crystal orientation so that one reflection hkl falls exactly on a pixel
// centre near (ny / 4, 3 nx / 4): the distance makes that pixel's 2theta the reflection's Bragg angle, and the
// smallest rotation of a fixed base orientation turns G_hkl onto the pixel's q.
void place_bragg_reflection(const PumpProbeOptions& o, PumpProbeSimulation& sim) {
  auto& d = sim.detector;
  const std::size_t yt = o.ny / 4, xt = std::min(o.nx - 1, 3 * o.nx / 4);
  const double rx = (static_cast<double>(xt) - d.beam_center_x_px) * d.x_pixel_size_m;
  const double ry = (static_cast<double>(yt) - d.beam_center_y_px) * d.y_pixel_size_m;
  const double r = std::hypot(rx, ry);
  const double two_theta_pixel = std::atan2(r, 0.05);
  const geometry::Mat3 base = geometry::rotation_xyz_deg(12.0, 27.0, 8.0);
  const double a = o.lattice_constant_angstrom;
  const geometry::Crystal unrotated(geometry::UnitCell{a, a, a, 90, 90, 90}, base);
  const double lambda = d.wavelength_angstrom();
  auto bragg_two_theta = [&](const std::array<int, 3>& h) {
    return 2.0 * std::asin(lambda * std::sqrt(double(h[0] * h[0] + h[1] * h[1] + h[2] * h[2])) / (2.0 * a));
  };
  const double p_norm = std::hypot(r, 0.05);
  const geometry::Vec3 q_direction = {rx / p_norm, ry / p_norm, 0.05 / p_norm - 1.0};  // at the nominal distance
  // The reflection whose Bragg angle is closest to the pixel's; among equivalents, the one needing least turn.
  double best_angle = 1e300, best_alignment = -2.0;
  std::array<int, 3> best{};
  for (int h = -4; h <= 4; ++h)
    for (int k = -4; k <= 4; ++k)
      for (int l = -4; l <= 4; ++l) {
        const std::array<int, 3> hkl = {h, k, l};
        if ((h == 0 && k == 0 && l == 0) || lambda * std::sqrt(double(h * h + k * k + l * l)) >= 2.0 * a) continue;
        const geometry::Vec3 g = unrotated.to_lab({double(h), double(k), double(l)});
        const double alignment = geometry::dot(g, q_direction) / (geometry::norm(g) * geometry::norm(q_direction));
        const double angle = std::abs(bragg_two_theta(hkl) - two_theta_pixel);
        if (angle < best_angle - 1e-12 || (angle < best_angle + 1e-12 && alignment > best_alignment)) {
          best_angle = angle;
          best_alignment = alignment;
          best = hkl;
        }
      }
  d.distance_m = r / std::tan(bragg_two_theta(best));
  const geometry::Vec3 q_pixel = geometry::scattering_vector(d, static_cast<double>(yt), static_cast<double>(xt));
  const geometry::Vec3 g = unrotated.to_lab({double(best[0]), double(best[1]), double(best[2])});
  const geometry::Mat3 u = geometry::mul(geometry::rotation_between(g, q_pixel), base);
  sim.crystal = geometry::Crystal(geometry::UnitCell{a, a, a, 90, 90, 90}, u);
  sim.bragg_hkl = best;
  sim.bragg_pixel = {yt, xt};
}

}  // namespace

Noise parse_noise(const std::string& name) {
  if (name == "none") return Noise::none;
  if (name == "poisson") return Noise::poisson;
  if (name == "gaussian") return Noise::gaussian;
  throw InvalidArgument(fmt::format("--noise '{}' is not known; use poisson, gaussian or none", name));
}

void PumpProbeOptions::validate() const {
  if (n_delay < 8) throw InvalidArgument(fmt::format("--shape needs at least 8 delays, got {}", n_delay));
  if (ny == 0 || nx == 0) throw InvalidArgument("--shape must have positive dimensions");
  if (!(delay_end_ps > delay_start_ps) || !std::isfinite(delay_start_ps) || !std::isfinite(delay_end_ps)) {
    throw InvalidArgument("--delays must be a range START:END with END > START (ps)");
  }
  if (!(delay_end_ps > 0.0)) throw InvalidArgument("--delays must extend past t0 = 0 ps");
  if (!(photons > 0.0) || !std::isfinite(photons)) {
    throw InvalidArgument(fmt::format("--photons must be positive, got {}", photons));
  }
  if (!(max_phonon_thz > 0.0)) throw InvalidArgument("phonon branch maximum must be positive (THz)");
  if (harmonic < 1) throw InvalidArgument("harmonic must be >= 1");
}

std::vector<double> make_delays(const PumpProbeOptions& o) {
  std::vector<double> t(o.n_delay);
  const double span = o.delay_end_ps - o.delay_start_ps;
  if (!o.nonuniform || o.delay_start_ps >= 0.0) {
    for (std::size_t k = 0; k < o.n_delay; ++k) {
      t[k] = o.delay_start_ps + span * static_cast<double>(k) / static_cast<double>(o.n_delay - 1);
    }
    if (!o.nonuniform) return t;
  }
  // Before t0: coarse and uniform. From t0: spacing growing as e^u, about 3x denser at t0 than at the end.
  const double pre_fraction = std::max(0.0, -o.delay_start_ps) / span;
  std::size_t n_pre = static_cast<std::size_t>(std::lround(0.5 * pre_fraction * static_cast<double>(o.n_delay)));
  if (o.delay_start_ps >= 0.0) n_pre = 0;
  const std::size_t n_post = o.n_delay - n_pre;
  const double t_first = std::max(0.0, o.delay_start_ps);
  for (std::size_t k = 0; k < n_pre; ++k) {
    t[k] = o.delay_start_ps + (-o.delay_start_ps) * static_cast<double>(k) / static_cast<double>(n_pre);
  }
  const double beta = 1.0;
  for (std::size_t j = 0; j < n_post; ++j) {
    const double u = static_cast<double>(j) / static_cast<double>(n_post - 1);
    t[n_pre + j] = t_first + (o.delay_end_ps - t_first) * std::expm1(beta * u) / std::expm1(beta);
  }
  return t;
}

PumpProbeSimulation simulate_pump_probe(const PumpProbeOptions& o, runtime::ThreadPool& pool) {
  o.validate();
  PumpProbeSimulation sim;
  sim.delays_ps = make_delays(o);
  const std::size_t pixels = o.ny * o.nx;
  // A 25.6 mm wide detector about 50 mm from the sample, beam centre off its left edge: 2theta ~ 7-32 degrees.
  auto& d = sim.detector;
  d.ny = o.ny;
  d.nx = o.nx;
  d.x_pixel_size_m = d.y_pixel_size_m = 25.6e-3 / static_cast<double>(o.nx);
  d.beam_center_x_px = -0.25 * static_cast<double>(o.nx);
  d.beam_center_y_px = 0.5 * static_cast<double>(o.ny) - 0.5;
  d.energy_ev = o.energy_ev;
  place_bragg_reflection(o, sim);
  auto& tr = sim.truth;
  for (auto* v : {&tr.frequency, &tr.amplitude, &tr.damping, &tr.phase, &tr.offset, &tr.q_reduced}) {
    v->assign(pixels, 0.0f);
  }
  sim.mask.assign(pixels, 0);
  sim.data.assign(o.n_delay * pixels, 0.0f);

  const double q_zb = pi / o.lattice_constant_angstrom;  // zone boundary along a cube axis
  const std::size_t gap_begin = o.nx / 2 - std::min<std::size_t>(2, o.nx / 2);
  const std::size_t gap_end = std::min(o.nx, o.nx / 2 + 2);
  const double saturation = 50.0 * o.photons;

  pool.parallel_for(o.ny, [&](std::size_t y, unsigned) {
    std::vector<Xoshiro256> rng;
    rng.reserve(o.nx);
    std::vector<double> pre(o.nx);  // intensity before t0
    for (std::size_t x = 0; x < o.nx; ++x) {
      const std::size_t i = y * o.nx + x;
      rng.emplace_back(o.seed, i);
      auto& r = rng.back();
      const auto q = geometry::scattering_vector(d, static_cast<double>(y), static_cast<double>(x));
      const double q_red = sim.crystal.reduced_wavevector(q);
      const double f_phonon = o.max_phonon_thz * std::abs(std::sin(pi * q_red / (2.0 * q_zb)));
      const double f = o.harmonic * f_phonon;
      // Thermal diffuse scattering is strongest near Bragg reflections (~1/omega^2), here softened.
      const double rel = q_red / q_zb;
      double offset = o.photons * (0.3 + 0.7 / (1.0 + 4.0 * rel * rel));
      double amplitude = offset * (0.05 + 0.10 * r.uniform());
      const double damping = 0.05 + 0.08 * f_phonon;
      double phase = pi - 0.6 + 1.2 * r.uniform();
      phase -= 2.0 * pi * std::round(phase / (2.0 * pi));
      const double kind = r.uniform();
      std::uint32_t mask = 0;
      if (rel < 0.12) {
        mask = kMaskSaturated;  // Bragg reflection: saturated, masked
        amplitude = 0.0;
        offset = saturation;
      } else if (x >= gap_begin && x < gap_end) {
        mask = kMaskInvalid;  // panel gap
        amplitude = 0.0;
        offset = 0.0;
      } else if (kind < 0.003) {
        mask = kMaskDead;
        amplitude = 0.0;
        offset = 0.0;
      } else if (kind < 0.004) {
        amplitude = 0.0;  // hot pixel, not in the mask
        offset = saturation;
      } else if (kind < 0.014) {
        amplitude = 0.0;  // no oscillation
      }
      sim.mask[i] = mask;
      tr.frequency[i] = static_cast<float>(f);
      tr.amplitude[i] = static_cast<float>(amplitude);
      tr.damping[i] = static_cast<float>(damping);
      tr.phase[i] = static_cast<float>(phase);
      tr.offset[i] = static_cast<float>(offset);
      tr.q_reduced[i] = static_cast<float>(q_red);
      pre[x] = offset + amplitude * std::cos(phase);
    }
    for (std::size_t k = 0; k < o.n_delay; ++k) {
      const double t = sim.delays_ps[k];
      float* row = &sim.data[k * pixels + y * o.nx];
      for (std::size_t x = 0; x < o.nx; ++x) {
        const std::size_t i = y * o.nx + x;
        double expected = pre[x];
        if (t >= 0.0) {
          expected = tr.offset[i] + static_cast<double>(tr.amplitude[i]) * std::exp(-tr.damping[i] * t) *
                                        std::cos(2.0 * pi * tr.frequency[i] * t + tr.phase[i]);
        }
        double value = expected;
        if (sim.mask[i] & (kMaskInvalid | kMaskDead)) {
          value = 0.0;
        } else if (o.noise == Noise::poisson) {
          value = static_cast<double>(std::poisson_distribution<std::int64_t>(std::max(expected, 0.0))(rng[x]));
        } else if (o.noise == Noise::gaussian) {
          value = expected + std::sqrt(std::max(expected, 0.0)) * std::normal_distribution<double>()(rng[x]);
        }
        row[x] = static_cast<float>(value);
      }
    }
  });

  double nyquist = 1e300;
  for (std::size_t k = 1; k < sim.delays_ps.size(); ++k) {
    if (sim.delays_ps[k] > 0.0) nyquist = std::min(nyquist, 0.5 / (sim.delays_ps[k] - sim.delays_ps[k - 1]));
  }
  const double f_top = o.harmonic * o.max_phonon_thz;
  if (f_top > 0.9 * nyquist) {
    sim.warnings.push_back(fmt::format(
        "signal frequencies reach {:.2f} THz, above 90% of the {:.2f} THz Nyquist limit of the coarsest delay "
        "step: use more delays or a shorter range",
        f_top, nyquist));
  }
  return sim;
}

}  // namespace xpulse::sim
