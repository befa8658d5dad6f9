#pragma once
// The difference map (Thibault et al. 2009, beta = 1) over the exit waves psi_j of every frame:
//   psi_j += P_F(2 P O_j - psi_j) - P O_j,
// with P_F the modulus projection, then the overlap projection
//   O = sum_j S_j^T conj(P) psi_j / sum_j S_j^T |P|^2,   (then P = sum_j conj(O_j) psi_j / sum_j |O_j|^2 from the
// new O when refined), with beta = alpha in [0, 1] (EngineOptions::dm_alpha_at: 0 is alternating projections).
// The modulus projection is relaxed by a power bound (far_field.h) so that noisy data do not drive the exit
// waves away. The cost is the modulus error of 2 P O_j - psi_j. Under MPI the overlap sums are added over ranks.
#include <vector>

#include "ptycho/engine.h"

namespace xpulse::ptycho {

class DifferenceMapEngine : public Engine {
 public:
  DifferenceMapEngine(const PtychoProblem& problem, const EngineOptions& options, runtime::ThreadPool& pool,
                      runtime::World& world);
  void iterate(PtychoState& state) override;
  void moved(int dy, int dx) override;  // rolls the exit waves

 private:
  void clear_object_sums();
  double update_exit_wave(const PtychoState& state, std::size_t frame, float alpha, cfloat* reflected,
                          double& fft_seconds);
  // The overlap projection for the object, from the sums of this iteration's exit waves.
  void update_object(PtychoState& state);
  void update_probe(PtychoState& state);

  const PtychoProblem& problem_;
  EngineOptions options_;
  runtime::ThreadPool& pool_;
  runtime::World& world_;
  FrameFft fft_;
  std::vector<cfloat> exit_waves_;              // [frames][n * n]
  std::vector<std::vector<cfloat>> work_;       // per thread: the reflected wave
  // The overlap projection's sums, kept between iterations (fresh ones cost page faults every time).
  std::vector<cdouble> object_numerator_, probe_numerator_;
  std::vector<double> illumination_, object_power_;
  double power_bound_ = 0;  // of the relaxed modulus projection (far_field.h)
  bool started_ = false;
};

}  // namespace xpulse::ptycho
