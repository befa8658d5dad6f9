#pragma once
// The course of a reconstruction from a cold start, as practitioners run it (PtyPy's defaults; Thibault and
// Guizar-Sicairos 2012; Maiden and Rodenburg 2009), cut into phases, each run by its own engine:
//   1. the object alone for `probe_start` iterations, so that the probe is not fitted to a flat object;
//   2. then the probe refined with the object;
//   3. for ML, optionally `warm_up` difference-map iterations first: ML's local descent from a poor probe stalls
//      in a local minimum (measured: error 0.45 after 100 iterations from the in-focus spot), while DM's
//      projections find the probe's basin. From the fitted start (probe_guess.h) ML no longer needs it (default
//      scan: error 0.0221 without, 0.0222 after 40 DM iterations), so the default is 0, which also lets ML stream
//      frames larger than memory (DM keeps every exit wave);
//   4. after each iteration that refined the probe, the probe's centre of mass is kept within `centre_tolerance`
//      pixels of the frame's centre by rolling probe and object together by whole pixels. That is an exact
//      symmetry of the data (the exit waves move, their intensities do not), so the cost does not change, and the
//      pair no longer drifts over the iterations.
//   5. ePIE and DM do not settle at the noise floor: ePIE is a stochastic gradient descent with a fixed step and
//      DM's iterates circle its fixed point. So the object and probe they return are the means of their iterates
//      over the last `average` fraction of their iterations (Polyak-Ruppert averaging, which makes a
//      fixed-step stochastic gradient converge; on the default scan it raised DM's phase SSIM from 0.77 to 0.80).
//      ML converges and returns its last iterate.
//   6. DM (as the main algorithm, not as ML's warm-up) settles: over the last `dm_settle` of its iterations its
//      relaxation alpha falls linearly from --dm-alpha to 0, which turns the difference map into alternating
//      projections (error reduction). DM finds the basin but, on noisy data, circles its fixed point
//      without converging (Thibault and Guizar-Sicairos 2012 follow it with ML for that reason); alternating
//      projections converge locally but stall from a cold start. Default scan (error / phase SSIM): 0.060 / 0.80
//      with alpha 1 throughout, 0.043 / 0.88 falling over the last 70%. A step to 0 at half-way was better on
//      the default scan but worse for a Gaussian probe (0.060 / 0.73); with the ramp four of the five scans the
//      README lists are within error 0.05 and phase SSIM 0.8 (one before), the fifth is too sparse for any engine.
// Every phase continues from the state the last one left; the history records which engine ran each iteration.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ptycho/engine.h"

namespace xpulse::ptycho {

struct CourseOptions {
  int iterations = 100;           // of the chosen algorithm
  int warm_up = 0;                // ML: difference-map iterations before it (ignored for DM and ePIE)
  int probe_start = 2;            // iterations (of the whole course) before the probe is refined
  bool probe_refine = true;
  double centre_tolerance = 1.0;  // pixels; 0: the probe is not centred
  double average = 0.25;          // ePIE, DM: fraction of the last iterations whose mean is returned (0: the last)
  double dm_settle = 0.7;         // DM: fraction of its last iterations over which alpha falls linearly to 0
  void validate() const;          // InvalidArgument naming the option
};

struct Phase {
  Algorithm algorithm = Algorithm::ml;
  bool probe_refine = false;
  int iterations = 0;
};

// The phases of a course for `algorithm`, in order; none is empty.
std::vector<Phase> course_phases(Algorithm algorithm, const CourseOptions& options);

class Course {
 public:
  // problem: this rank's frames. options.algorithm is the main algorithm; options.probe_refine is ignored (the
  // course's is used).
  Course(const PtychoProblem& problem, const EngineOptions& options, const CourseOptions& course,
         runtime::ThreadPool& pool, runtime::World& world = runtime::World::get());
  Course(const Course&) = delete;
  Course& operator=(const Course&) = delete;

  int total_iterations() const { return total_; }
  bool done() const { return done_ >= total_; }
  // The next iteration (collective over the world); appends its record to state.history.
  void iterate(PtychoState& state);
  // Pixels the probe and object have been rolled by, in all (rows, columns).
  int shifted_rows() const { return shifted_[0]; }
  int shifted_cols() const { return shifted_[1]; }
  // The engine of the current phase starts afresh at the next iteration (the frames changed).
  void restart_engine() { engine_.reset(); }
  // Iterates averaged into the state so far (ePIE, DM).
  int averaged() const { return averaged_; }

 private:
  void accumulate(const PtychoState& state);
  const PtychoProblem& problem_;
  EngineOptions options_;
  CourseOptions course_;
  runtime::ThreadPool& pool_;
  runtime::World& world_;
  std::vector<Phase> phases_;
  std::size_t phase_ = 0;
  int in_phase_ = 0, done_ = 0, total_ = 0;
  int shifted_[2] = {0, 0};
  std::unique_ptr<Engine> engine_;
  int average_from_ = 0;                    // iteration of the course from which iterates are averaged
  int averaged_ = 0;
  std::vector<cdouble> object_sum_, probe_sum_;
};

// The probe's intensity-weighted centre (row, column) in pixels of the frame.
std::pair<double, double> probe_centre(const std::vector<cfloat>& probe, std::size_t n);

// Rolls an ny x nx image by (dy, dx) pixels: out(y, x) = in(y - dy, x - dx), periodic.
template <typename T>
void roll(std::vector<T>& image, std::size_t ny, std::size_t nx, int dy, int dx) {
  const auto wrap = [](long v, std::size_t m) {
    const auto s = static_cast<long>(m);
    return static_cast<std::size_t>(((v % s) + s) % s);
  };
  std::vector<T> out(image.size());
  for (std::size_t y = 0; y < ny; ++y) {
    const std::size_t to = wrap(static_cast<long>(y) + dy, ny);
    for (std::size_t x = 0; x < nx; ++x) out[to * nx + wrap(static_cast<long>(x) + dx, nx)] = image[y * nx + x];
  }
  image.swap(out);
}

// How well the model (object and probe) explains the frames, as a goodness-of-fit test: its cost, and the cost
// it would have on average if it were the truth and the frames its photon counts with Poisson noise (per pixel of
// model intensity lambda, E (sqrt(X) - sqrt(lambda))^2 for the amplitude cost of ePIE, DM and Gaussian ML, and
// the expected Poisson deviance over 2 for Poisson ML; both about 1/4 and 1/2 for large lambda). Both relative to
// the total intensity, as IterationRecord::cost; over this rank's frames and added over the ranks.
struct ModelFit {
  double cost = 0;
  double expected = 0;
};
ModelFit model_fit(const PtychoProblem& problem, const PtychoState& state, bool poisson, runtime::ThreadPool& pool,
                   runtime::World& world = runtime::World::get());
// The same, with the cost the engine of `options` minimised (Poisson only for ML with Poisson noise).
ModelFit model_fit(const PtychoProblem& problem, const PtychoState& state, const EngineOptions& options,
                   runtime::ThreadPool& pool, runtime::World& world = runtime::World::get());

// A warning when the model's cost is more than `factor` times its expected cost (the reconstruction has probably
// not converged, or the frames are not photon counts), or nothing when it is within.
std::optional<std::string> convergence_warning(const ModelFit& fit, double factor = 2.0);

}  // namespace xpulse::ptycho
