#include "sim/ptycho_simulation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <random>

#include <fmt/format.h>

#include "core/error.h"
#include "ptycho/frame_fft.h"
#include "sim/random.h"

namespace xpulse::sim {
namespace {

using ptycho::cfloat;
using ptycho::Position;

constexpr double kPi = std::numbers::pi;
constexpr double kHcEvMetre = 1.23984198e-6;  // h c in eV m

std::vector<cfloat> focused_probe(std::size_t n, double diameter, const ptycho::FrameFft& fft) {
  // Pupil of radius n/8 (frequency pixels) with a quadratic phase that spreads its image to the nominal
  // diameter: a ray at pupil radius k lands at n c k / pi from the centre.
  const double radius = static_cast<double>(n) / 8;
  const double c = kPi * diameter / (2 * static_cast<double>(n) * radius);
  std::vector<cfloat> pupil(n * n, cfloat(0, 0));
  for (std::size_t y = 0; y < n; ++y) {
    for (std::size_t x = 0; x < n; ++x) {
      // Frequencies in FFT order: index i holds i, or i - n in the upper half.
      const double ky = static_cast<double>(y) - (y < (n + 1) / 2 ? 0.0 : static_cast<double>(n));
      const double kx = static_cast<double>(x) - (x < (n + 1) / 2 ? 0.0 : static_cast<double>(n));
      const double k2 = kx * kx + ky * ky;
      if (k2 <= radius * radius) pupil[y * n + x] = std::polar(1.0f, static_cast<float>(c * k2));
    }
  }
  fft.backward(pupil.data());
  // Centre it in the frame.
  std::vector<cfloat> probe(n * n);
  const std::size_t h = n / 2;
  for (std::size_t y = 0; y < n; ++y)
    for (std::size_t x = 0; x < n; ++x) probe[((y + h) % n) * n + (x + h) % n] = pupil[y * n + x];
  return probe;
}

std::vector<cfloat> gaussian_probe(std::size_t n, double diameter) {
  const double sigma = diameter / 4, centre = static_cast<double>(n / 2);
  std::vector<cfloat> probe(n * n);
  for (std::size_t y = 0; y < n; ++y) {
    for (std::size_t x = 0; x < n; ++x) {
      const double r2 = (static_cast<double>(y) - centre) * (static_cast<double>(y) - centre) +
                        (static_cast<double>(x) - centre) * (static_cast<double>(x) - centre);
      probe[y * n + x] = cfloat(static_cast<float>(std::exp(-r2 / (2 * sigma * sigma))), 0);
    }
  }
  return probe;
}

std::vector<Position> scan_positions(const PtychoSimOptions& o) {
  const double step = o.probe_diameter() * (1 - o.overlap);
  const double room = static_cast<double>(o.object_size - o.probe_size);  // range of window corners
  std::vector<std::array<double, 2>> corners;
  if (o.scan == "raster") {
    const auto side = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(o.positions))));
    const std::size_t rows = (o.positions + side - 1) / side;
    const double width = step * static_cast<double>(side - 1), height = step * static_cast<double>(rows - 1);
    if (width > room || height > room) {
      throw InvalidArgument(fmt::format("a {}x{} raster with step {:.1f} pixels spans {:.0f} pixels, more than the "
                                        "{} pixels the object leaves for the frames' corners: raise --object-size, "
                                        "lower --positions or raise --overlap",
                                        rows, side, step, std::max(width, height), room));
    }
    for (std::size_t k = 0; k < o.positions; ++k) {
      corners.push_back({(room - height) / 2 + step * static_cast<double>(k / side),
                         (room - width) / 2 + step * static_cast<double>(k % side)});
    }
  } else {
    // Fermat spiral: r = c sqrt(k), golden-angle turns; c = step / sqrt(pi) gives about step between neighbours.
    const double c = step / std::sqrt(kPi), golden = kPi * (3 - std::sqrt(5.0));
    const double reach = c * std::sqrt(static_cast<double>(o.positions - 1));
    if (2 * reach > room) {
      throw InvalidArgument(fmt::format("a spiral of {} positions with step {:.1f} pixels spans {:.0f} pixels, more "
                                        "than the {} pixels the object leaves for the frames' corners: raise "
                                        "--object-size, lower --positions or raise --overlap",
                                        o.positions, step, 2 * reach, room));
    }
    for (std::size_t k = 0; k < o.positions; ++k) {
      const double r = c * std::sqrt(static_cast<double>(k)), a = golden * static_cast<double>(k);
      corners.push_back({room / 2 + r * std::sin(a), room / 2 + r * std::cos(a)});
    }
  }
  Xoshiro256 random(o.seed, 0x5CA9);
  std::normal_distribution<double> jitter(0.0, 1.0);
  std::vector<Position> positions;
  for (auto& [row, col] : corners) {
    if (o.position_jitter > 0) row += o.position_jitter * jitter(random), col += o.position_jitter * jitter(random);
    positions.push_back({static_cast<int>(std::clamp(std::lround(row), 0L, static_cast<long>(room))),
                         static_cast<int>(std::clamp(std::lround(col), 0L, static_cast<long>(room)))});
  }
  return positions;
}

}  // namespace

void PtychoSimOptions::validate() const {
  if (probe_size < 8) throw InvalidArgument(fmt::format("--probe-size must be >= 8, got {}", probe_size));
  if (object_size < probe_size) {
    throw InvalidArgument(fmt::format("--object-size ({}) must be at least --probe-size ({})", object_size, probe_size));
  }
  if (probe != "focused" && probe != "gaussian") {
    throw InvalidArgument(fmt::format("--probe '{}' is not known; use focused or gaussian", probe));
  }
  if (scan != "raster" && scan != "spiral") {
    throw InvalidArgument(fmt::format("--scan '{}' is not known; use raster or spiral", scan));
  }
  if (positions < 1) throw InvalidArgument("--positions must be >= 1");
  if (!(diameter >= 0) || diameter > 0.8 * static_cast<double>(probe_size)) {
    throw InvalidArgument(fmt::format("--probe-diameter must be in (0, {}] pixels (0.8 of --probe-size), got {}",
                                      0.8 * static_cast<double>(probe_size), diameter));
  }
  if (!(overlap >= 0 && overlap < 1)) throw InvalidArgument(fmt::format("--overlap must be in [0, 1), got {}", overlap));
  if (!(photons > 0) || !std::isfinite(photons)) throw InvalidArgument("--photons must be > 0");
  if (!(position_jitter >= 0)) throw InvalidArgument("--position-jitter must be >= 0");
  if (!(energy_ev > 0) || !(distance_m > 0) || !(detector_pixel_m > 0)) {
    throw InvalidArgument("the energy, distance and detector pixel size must be > 0");
  }
}

double PtychoSimOptions::object_pixel_m() const {
  return kHcEvMetre / energy_ev * distance_m / (static_cast<double>(probe_size) * detector_pixel_m);
}

std::vector<float> siemens_star(std::size_t size) {
  constexpr int kSpokes = 36, kSub = 4;
  const double centre = static_cast<double>(size) / 2, radius = 0.45 * static_cast<double>(size);
  std::vector<float> s(size * size);
  for (std::size_t y = 0; y < size; ++y) {
    for (std::size_t x = 0; x < size; ++x) {
      int inside = 0;
      for (int sy = 0; sy < kSub; ++sy) {
        for (int sx = 0; sx < kSub; ++sx) {
          const double dy = static_cast<double>(y) + (sy + 0.5) / kSub - centre;
          const double dx = static_cast<double>(x) + (sx + 0.5) / kSub - centre;
          const double r = std::hypot(dx, dy);
          if (r < radius && std::cos(kSpokes / 2.0 * std::atan2(dy, dx)) > 0) ++inside;
        }
      }
      s[y * size + x] = static_cast<float>(inside) / (kSub * kSub);
    }
  }
  return s;
}

PtychoSimulation simulate_ptycho(const std::vector<float>& pattern, const PtychoSimOptions& o,
                                 runtime::ThreadPool& pool) {
  o.validate();
  const std::size_t size = o.object_size, n = o.probe_size, n2 = n * n;
  if (pattern.size() != size * size) throw InvalidArgument("the object pattern does not have --object-size");
  PtychoSimulation sim;
  sim.object.resize(size * size);
  for (std::size_t k = 0; k < pattern.size(); ++k) {
    const float s = std::clamp(pattern[k], 0.0f, 1.0f);
    sim.object[k] = std::polar(1.0f - 0.4f * s, -0.8f * s);
  }
  const ptycho::FrameFft fft(n);
  sim.probe = o.probe == "focused" ? focused_probe(n, o.probe_diameter(), fft) : gaussian_probe(n, o.probe_diameter());
  double power = 0;
  for (const cfloat& v : sim.probe) power += std::norm(v);
  const auto scale = static_cast<float>(std::sqrt(o.photons / power));
  for (cfloat& v : sim.probe) v *= scale;
  sim.positions = scan_positions(o);
  sim.intensities.resize(o.positions * n2);
  std::vector<std::vector<cfloat>> work(pool.size(), std::vector<cfloat>(n2));
  pool.parallel_for(o.positions, [&](std::size_t j, unsigned worker) {
    cfloat* psi = work[worker].data();
    ptycho::exit_wave(sim.object.data(), size, sim.probe.data(), n, sim.positions[j], psi);
    fft.forward(psi);
    std::vector<float> fft_order(n2);
    for (std::size_t k = 0; k < n2; ++k) fft_order[k] = std::norm(psi[k]);
    float* frame = sim.intensities.data() + j * n2;
    ptycho::fft_to_detector_order(fft_order.data(), frame, n);
    if (o.noise) {
      Xoshiro256 random(o.seed, j + 1);
      for (std::size_t k = 0; k < n2; ++k) {
        frame[k] = frame[k] > 0 ? static_cast<float>(std::poisson_distribution<long long>(frame[k])(random)) : 0.0f;
      }
    }
  });
  return sim;
}

}  // namespace xpulse::sim
