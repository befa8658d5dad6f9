#include "ptycho/probe_guess.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "core/error.h"

namespace xpulse::ptycho {
namespace {

// Nominal diameters tried, as fractions of the frame, both curvatures for each but 0.
constexpr double kFractions[] = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};

// Frequency of index i of an n-point FFT, in frequency pixels.
double frequency(std::size_t i, std::size_t n) {
  return static_cast<double>(i) - (i < (n + 1) / 2 ? 0.0 : static_cast<double>(n));
}

// The indices (global) of the `count` frames nearest the centre of the scan's bounding box, ties by index.
std::vector<std::size_t> frames_near_centre(const std::vector<Position>& positions, std::size_t count) {
  int top = positions[0].row, bottom = top, left = positions[0].col, right = left;
  for (const Position& p : positions) {
    top = std::min(top, p.row), bottom = std::max(bottom, p.row);
    left = std::min(left, p.col), right = std::max(right, p.col);
  }
  const double cy = 0.5 * (top + bottom), cx = 0.5 * (left + right);
  std::vector<std::size_t> order(positions.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto distance = [&](std::size_t j) { return std::hypot(positions[j].row - cy, positions[j].col - cx); };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return distance(a) < distance(b); });
  order.resize(std::min(count, order.size()));
  std::sort(order.begin(), order.end());
  return order;
}

// This rank's frames among `chosen`, as a problem of their own on the same object grid.
PtychoProblem trial_problem(const PtychoProblem& problem, const std::vector<std::size_t>& chosen,
                            std::size_t first_frame) {
  PtychoProblem trial;
  trial.n = problem.n, trial.object_ny = problem.object_ny, trial.object_nx = problem.object_nx;
  trial.weight = problem.weight;
  const std::size_t n2 = problem.n * problem.n;
  for (const std::size_t j : chosen) {
    if (j < first_frame || j >= first_frame + problem.frames) continue;
    const std::size_t local = j - first_frame;
    const FrameBlock frame(problem, local, 1);  // (loaded from the source when streamed)
    trial.positions.push_back(problem.positions[local]);
    trial.intensity.insert(trial.intensity.end(), frame.intensity(local), frame.intensity(local) + n2);
    trial.amplitude.insert(trial.amplitude.end(), frame.amplitude(local), frame.amplitude(local) + n2);
    for (std::size_t k = 0; k < n2; ++k) trial.total_intensity += frame.intensity(local)[k];
    ++trial.frames;
  }
  return trial;
}

}  // namespace

std::vector<double> mean_amplitude(const PtychoProblem& problem, runtime::World& world) {
  const std::size_t n2 = problem.n * problem.n;
  std::vector<double> sums(n2 + 1, 0.0);
  constexpr std::size_t kBlock = 64;
  for (std::size_t first = 0; first < problem.frames; first += kBlock) {
    const std::size_t count = std::min(kBlock, problem.frames - first);
    const FrameBlock block(problem, first, count);
    for (std::size_t j = first; j < first + count; ++j)
      for (std::size_t k = 0; k < n2; ++k) sums[k] += block.amplitude(j)[k];
  }
  sums[n2] = static_cast<double>(problem.frames);
  world.sum_all(std::span<double>(sums));
  const double frames = sums[n2];
  sums.resize(n2);
  for (double& v : sums) v = frames > 0 ? v / frames : 0.0;
  return sums;
}

double pupil_radius(const std::vector<double>& amplitude) {
  const double top = *std::max_element(amplitude.begin(), amplitude.end());
  std::size_t inside = 0;
  for (double v : amplitude) inside += v >= 0.5 * top ? 1 : 0;
  return std::max(1.0, std::sqrt(static_cast<double>(inside) / std::numbers::pi));
}

std::vector<cfloat> defocused_probe(const std::vector<double>& amplitude, std::size_t n, double diameter,
                                    double radius, double mean_intensity, const FrameFft& fft) {
  const double c = std::numbers::pi * diameter / (2 * static_cast<double>(n) * radius);
  std::vector<cfloat> probe(n * n);
  double power = 0;
  for (std::size_t y = 0; y < n; ++y)
    for (std::size_t x = 0; x < n; ++x) {
      const double ky = frequency(y, n), kx = frequency(x, n), a = amplitude[y * n + x];
      probe[y * n + x] = cfloat(std::polar(a, c * (ky * ky + kx * kx)));
      power += a * a;
    }
  fft.backward(probe.data());
  // The transform is centred on pixel (0, 0): move it to the frame's centre.
  std::vector<cfloat> centred(n * n);
  const std::size_t h = n / 2;
  for (std::size_t y = 0; y < n; ++y)
    for (std::size_t x = 0; x < n; ++x) centred[((y + h) % n) * n + (x + h) % n] = probe[y * n + x];
  // Unitary transforms keep the power; scale it to the mean frame intensity (the mean of |a|^2 is larger than
  // |mean a|^2).
  const float scale = power > 0 ? static_cast<float>(std::sqrt(mean_intensity / power)) : 1.0f;
  for (auto& v : centred) v *= scale;
  return centred;
}

ProbeGuess guess_probe(const PtychoProblem& problem, const std::vector<Position>& all_positions,
                       std::size_t first_frame, runtime::ThreadPool& pool, runtime::World& world,
                       std::size_t trial_frames, int trial_iterations) {
  if (all_positions.empty()) throw InvalidArgument("no scan positions to guess a probe from");
  const std::size_t n = problem.n;
  const FrameFft fft(n);
  ProbeGuess guess;
  const std::vector<double> amplitude = mean_amplitude(problem, world);
  guess.pupil_radius = pupil_radius(amplitude);
  std::vector<double> totals = {problem.total_intensity, static_cast<double>(problem.frames)};
  world.sum_all(std::span<double>(totals));
  const double mean_intensity = totals[1] > 0 ? totals[0] / totals[1] : 0.0;
  const PtychoProblem trial = trial_problem(problem, frames_near_centre(all_positions, trial_frames), first_frame);
  EngineOptions options;
  options.algorithm = Algorithm::ml, options.noise = NoiseModel::gaussian, options.probe_refine = false;
  double best = INFINITY;
  for (const double fraction : kFractions) {
    for (const double sign : {1.0, -1.0}) {
      if (fraction == 0 && sign < 0) continue;
      const double diameter = sign * fraction * static_cast<double>(n);
      PtychoState state;
      state.object.assign(problem.object_ny * problem.object_nx, cfloat(1, 0));
      state.probe = defocused_probe(amplitude, n, diameter, guess.pupil_radius, mean_intensity, fft);
      const auto engine = Engine::create(trial, options, pool, world);
      for (int i = 0; i <= trial_iterations; ++i) engine->iterate(state);  // the last records the cost after
      const double cost = state.history.back().cost;
      guess.tried.push_back({diameter, cost});
      if (cost < best) best = cost, guess.diameter = diameter, guess.probe = std::move(state.probe);
    }
  }
  // The winner's probe after its trial is the fixed candidate itself (the probe was not refined).
  return guess;
}

}  // namespace xpulse::ptycho
