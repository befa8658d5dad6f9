#pragma once
// Reconstruction engines of ptychography (REFERENCE.md section 4), behind one interface chosen by a factory:
//   ePIE:  position by position, in a random order per iteration (one process only: it is sequential);
//   DM:    the difference map over all exit waves, with the object (and probe) from the overlap projection;
//   ML:    maximum likelihood (Gaussian amplitude or Poisson noise) by preconditioned nonlinear conjugate
//          gradient (Polak-Ribiere+) with an exact line search along the quadratic path of the far fields.
// Frames are processed in batches, in parallel over frames; the sums over frames onto the object and probe grids
// add frames in index order (problem.h), so every engine gives the same bits for any thread count. Under MPI
// (DM and ML) each rank holds a share of the frames and the sums are added over ranks.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ptycho/problem.h"
#include "runtime/thread_pool.h"
#include "runtime/world.h"

namespace xpulse::ptycho {

enum class Algorithm { epie, dm, ml };
enum class NoiseModel { gaussian, poisson };
Algorithm parse_algorithm(const std::string& name);   // InvalidArgument naming the choices
NoiseModel parse_noise_model(const std::string& name);
std::string algorithm_name(Algorithm a);

struct EngineOptions {
  Algorithm algorithm = Algorithm::ml;
  NoiseModel noise = NoiseModel::gaussian;  // ML's likelihood (ePIE and DM project onto measured amplitudes)
  bool probe_refine = false;
  std::size_t batch = 64;                   // frames per parallel batch
  double epie_object_step = 1.0;            // ePIE's alpha and beta (Maiden and Rodenburg 2009; PtyPy)
  double epie_probe_step = 1.0;
  // ePIE's object step is regularised as rPIE's (Maiden, Johnson and Li 2017):
  //   O += alpha conj(P) (psi' - psi) / ((1 - r) |P|^2 + r max|P|^2),
  // r = 1 is ePIE. Smaller r takes larger steps where the probe is weak, so the object's dimly lit edges and its
  // slow, low-frequency components converge (default scan: phase SSIM 0.67 with r = 1, 0.86 with r = 0.25).
  double epie_regularisation = 0.25;
  double fourier_relax = 0.05;              // DM: power bound 0.25 relax^2 x mean intensity per pixel (0: none)
  double dm_alpha = 1.0;                    // DM: 1 the difference map, 0 alternating projections (PtyPy's alpha)
  // DM: alpha falls linearly from dm_alpha to 0 between these iterations of the course (state.iterations_done),
  // set by the course (course.h); dm_settle_from < 0 keeps it constant.
  int dm_settle_from = -1;
  int dm_settle_to = 0;
  double dm_alpha_at(int iteration) const;
  std::uint64_t seed = 1;                   // ePIE's position order
  int cuda_device = -1;                     // >= 0: ML's per-frame work on this CUDA device (ml_frames.h)
  void validate() const;
};

struct IterationRecord {
  int iteration = 0;
  double cost = 0;         // of the state before the iteration's update, relative to the total intensity
  double seconds = 0;
  double fft_seconds = 0;  // summed over threads
  double step = 0;         // ML: the line search's step; DM: its relaxation alpha
  Algorithm algorithm = Algorithm::ml;  // the engine that ran it (set by the course, course.h)
  bool probe_refined = false;
};

struct PtychoState {
  std::vector<cfloat> object;  // [object_ny][object_nx]
  std::vector<cfloat> probe;   // [n][n]
  int iterations_done = 0;
  std::vector<IterationRecord> history;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // One iteration; appends its record to state.history. Collective over the world given to create().
  virtual void iterate(PtychoState& state) = 0;
  // The state's probe and object were rolled by (dy, dx) pixels together (course.h): an exact symmetry of the
  // data. Engines that keep per-frame waves or a search direction follow.
  virtual void moved(int /*dy*/, int /*dx*/) {}

  // problem: this rank's frames (all of them in one process). InvalidArgument for ePIE under MPI.
  static std::unique_ptr<Engine> create(const PtychoProblem& problem, const EngineOptions& options,
                                        runtime::ThreadPool& pool, runtime::World& world = runtime::World::get());
};

}  // namespace xpulse::ptycho
