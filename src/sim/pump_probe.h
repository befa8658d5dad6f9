#pragma once
// Simulation of a time-resolved diffuse-scattering stack [delay, y, x] with known per-pixel truth.
//
// Physics: a simple cubic crystal (lattice constant, orientation) on a flat detector. Each pixel's reduced
// wavevector |q - G| sets an acoustic phonon frequency f_ph = fmax |sin(pi |q - G| / (2 q_zb))|; squeezed
// phonons make the diffuse intensity oscillate at harmonic * f_ph after t0 = 0:
//   I(t) = C + A exp(-g t) cos(2 pi f t + phi) for t >= 0,  I(t) = C + A cos(phi) before (continuous at t0).
// The crystal is oriented so that one Bragg reflection lands exactly on a pixel centre (recorded in the truth,
// for geometry round-trip checks). Pixels within 0.12 q_zb of a Bragg reflection are saturated and masked;
// there are dead pixels and a panel gap (masked, zero), hot pixels (unmasked, constant and bright) and
// pixels without oscillation (A = 0).
#include <cstddef>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "geometry/detector.h"
#include "geometry/lattice.h"

namespace xpulse::runtime {
class ThreadPool;
}

namespace xpulse::sim {

enum class Noise { none, poisson, gaussian };
Noise parse_noise(const std::string& name);  // throws InvalidArgument

// CXI pixel-mask bits.
inline constexpr std::uint32_t kMaskInvalid = 1;
inline constexpr std::uint32_t kMaskSaturated = 2;
inline constexpr std::uint32_t kMaskDead = 8;

struct PumpProbeOptions {
  std::size_t n_delay = 200;
  std::size_t ny = 256;
  std::size_t nx = 256;
  double delay_start_ps = -1.0;
  double delay_end_ps = 10.0;
  bool nonuniform = false;          // denser sampling near t0
  Noise noise = Noise::poisson;
  double photons = 1000.0;          // mean diffuse background per pixel per frame, photons
  std::uint64_t seed = 1;
  double max_phonon_thz = 2.5;      // top of the acoustic branch
  int harmonic = 2;                 // observed frequency = harmonic * phonon frequency
  double lattice_constant_angstrom = 4.0;
  double energy_ev = 9500.0;
  void validate() const;            // throws InvalidArgument naming the flag
};

struct PumpProbeTruth {  // all [ny * nx]
  std::vector<float> frequency;     // THz (observed, = harmonic * phonon)
  std::vector<float> amplitude;     // photons
  std::vector<float> damping;       // 1/ps
  std::vector<float> phase;         // rad, in (-pi, pi]
  std::vector<float> offset;        // photons
  std::vector<float> q_reduced;     // |q - G|, 1/Angstrom
};

struct PumpProbeSimulation {
  std::vector<double> delays_ps;
  std::vector<float> data;          // [n_delay][ny][nx], photons (expected value plus noise)
  std::vector<std::uint32_t> mask;  // [ny][nx], CXI bits, nonzero = bad
  geometry::Detector detector;
  geometry::Crystal crystal;         // simple cubic, lattice constant from the options
  std::array<int, 3> bragg_hkl{};     // the reflection placed exactly on pixel bragg_pixel = (y, x)
  std::array<std::size_t, 2> bragg_pixel{};
  PumpProbeTruth truth;
  std::vector<std::string> warnings;  // e.g. frequencies above the Nyquist limit of the delays
};

std::vector<double> make_delays(const PumpProbeOptions& options);
PumpProbeSimulation simulate_pump_probe(const PumpProbeOptions& options, runtime::ThreadPool& pool);

}  // namespace xpulse::sim
