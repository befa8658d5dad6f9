#pragma once
// A first probe from the data, for a cold start (README "Ptychography: the default course").
//
// The probe's far-field modulus is the mean measured amplitude (the object's scattering adds only a faint halo);
// its phase is not in the mean pattern. A focusing optic used out of focus, which is how ptychography spreads the
// probe over several scan steps, gives it a quadratic phase c |k|^2: the defocus. The inverse FFT of the mean
// amplitude with a flat phase (c = 0) is the in-focus spot, far smaller than a defocused probe, and ePIE and ML
// fail from it (measured on the default simulated scan: object error 0.43 and 0.45).
// So the defocus is fitted to the data: candidates of nominal diameter D = 0, +-0.1, ..., +-0.8 of the frame
// (c = pi D / (2 n R), R the radius of the mean amplitude's half-maximum disk: a ray at pupil radius R lands D / 2
// from the centre) each get a few fixed-probe ML iterations from a flat object on the frames nearest the scan's
// centre, and the one with the lowest cost is kept. With c = 0 among them, an in-focus (e.g. Gaussian) probe
// stays one. The search gives the same bits for any thread or rank count.
#include <cstddef>
#include <vector>

#include "ptycho/engine.h"

namespace xpulse::ptycho {

struct ProbeCandidate {
  double diameter = 0;  // signed nominal diameter, pixels (negative: the opposite curvature)
  double cost = 0;      // after the trial iterations, relative to the trial frames' intensity
};

struct ProbeGuess {
  std::vector<cfloat> probe;             // [n][n]
  double diameter = 0;                   // the chosen candidate's
  double pupil_radius = 0;               // R, frequency pixels
  std::vector<ProbeCandidate> tried;     // in the order tried
};

// The mean measured amplitude per pixel (FFT order) over all frames of all ranks.
std::vector<double> mean_amplitude(const PtychoProblem& problem, runtime::World& world = runtime::World::get());

// The probe with far-field modulus `amplitude` (FFT order) and a defocus of nominal diameter `diameter` pixels,
// centred in the frame, with the power of the mean frame (`mean_intensity` photons: a unit object).
std::vector<cfloat> defocused_probe(const std::vector<double>& amplitude, std::size_t n, double diameter,
                                    double pupil_radius, double mean_intensity, const FrameFft& fft);

// The radius (frequency pixels) of the disk of the amplitude's half maximum: its area over pi.
double pupil_radius(const std::vector<double>& amplitude);

// The fitted probe. problem: this rank's frames, which are frames [first_frame, first_frame + problem.frames) of
// a scan at `all_positions`. trial_frames: how many frames nearest the centre the candidates are tried on.
ProbeGuess guess_probe(const PtychoProblem& problem, const std::vector<Position>& all_positions,
                       std::size_t first_frame, runtime::ThreadPool& pool,
                       runtime::World& world = runtime::World::get(), std::size_t trial_frames = 128,
                       int trial_iterations = 4);

}  // namespace xpulse::ptycho
