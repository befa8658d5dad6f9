#pragma once
// Maximum likelihood by preconditioned nonlinear conjugate gradient (PtyGer, PtyPy's ML engine):
//   cost L = sum_j sum_k w f(Psi_jk), f Gaussian amplitude or Poisson (far_field.h),
//   gradients g_O = sum_j S_j^T conj(P) F^-1 chi_j and g_P = sum_j conj(O_j) F^-1 chi_j,
//   preconditioner 1 / (sum_j S_j^T |P|^2 + delta) for the object and 1 / (sum_j |O_j|^2 + delta) for the probe,
//   Polak-Ribiere+ directions.
// Step: along a direction (dO, dP) every far field moves on a parabola, Psi(s) = A + s B + s^2 C with
// A = F(P O_j), B = F(dP O_j + P dO_j), C = F(dP dO_j), so the cost's first and second derivatives along the line
// come from one pass over A, B, C; the step is Newton's on them (PtyPy's polynomial line search; the second
// derivative is the larger of the exact one and Gauss-Newton's for Gaussian noise, Fisher scoring's for Poisson). A step that raised the cost is halved at the next
// iteration. Each frame is handled while it is in cache: an iteration costs, per frame, the forward FFT of its
// exit wave (A, kept for the step), the inverse FFT of its gradient, and the forward FFT of B (and C with the
// probe). That per-frame work is behind ml_frames.h, on the CPU or a GPU.
#include <vector>

#include "ptycho/engine.h"
#include "ptycho/ml_frames.h"

namespace xpulse::ptycho {

class MlEngine : public Engine {
 public:
  MlEngine(const PtychoProblem& problem, const EngineOptions& options, runtime::ThreadPool& pool,
           runtime::World& world);
  void iterate(PtychoState& state) override;
  void moved(int, int) override { have_direction_ = false, step_ = 0; }  // the direction starts afresh

 private:
  void preconditioner(const PtychoState& state);
  void move_along(PtychoState& state, double step);                // to x0 + step d

  const PtychoProblem& problem_;
  EngineOptions options_;
  runtime::ThreadPool& pool_;
  runtime::World& world_;
  std::unique_ptr<MlFrames> frames_;                  // the per-frame work, on the CPU or a GPU
  std::vector<cdouble> g_object_sum_, g_probe_sum_;  // gradients as summed (this rank's, then all ranks')
  std::vector<cfloat> g_object_, g_probe_;            // gradients
  std::vector<cfloat> h_object_, h_probe_;            // preconditioned gradients
  std::vector<cfloat> h_object_next_, h_probe_next_;  // this iteration's, before the swap (kept: no page faults)
  std::vector<double> illumination_;
  std::vector<cfloat> d_object_, d_probe_;            // search direction
  std::vector<float> m_object_, m_probe_;             // preconditioner
  double previous_gh_ = 0;                            // <g, M g> of the last direction
  double previous_cost_ = 0;                          // at the last direction's base point
  double step_ = 0;                                   // along the current direction
  bool have_direction_ = false, have_object_preconditioner_ = false;
};

}  // namespace xpulse::ptycho
