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
// probe).
#include <vector>

#include "ptycho/engine.h"

namespace xpulse::ptycho {

class MlEngine : public Engine {
 public:
  MlEngine(const PtychoProblem& problem, const EngineOptions& options, runtime::ThreadPool& pool,
           runtime::World& world);
  void iterate(PtychoState& state) override;

 private:
  double gradient(const PtychoState& state);                       // A and g; returns the cost (this rank)
  void preconditioner(const PtychoState& state);
  double curvature(const PtychoState& state);                      // phi'' along d at step 0 (this rank)
  void move_along(PtychoState& state, double step);                // to x0 + step d
  double frame_cost(std::size_t j, const cfloat* psi, cfloat* chi) const;

  const PtychoProblem& problem_;
  EngineOptions options_;
  runtime::ThreadPool& pool_;
  runtime::World& world_;
  FrameFft fft_;
  std::vector<cfloat> a_;                             // far fields F(P O_j) [frames][n * n]
  std::vector<std::vector<cfloat>> work_;             // per thread: B and C
  std::vector<cdouble> g_object_sum_, g_probe_sum_;  // gradients as summed (this rank's, then all ranks')
  std::vector<cfloat> g_object_, g_probe_;            // gradients
  std::vector<cfloat> h_object_, h_probe_;            // preconditioned gradients
  std::vector<cfloat> d_object_, d_probe_;            // search direction
  std::vector<float> m_object_, m_probe_;             // preconditioner
  std::vector<double> fft_seconds_;                   // per thread
  double previous_gh_ = 0;                            // <g, M g> of the last direction
  double previous_cost_ = 0;                          // at the last direction's base point
  double step_ = 0;                                   // along the current direction
  bool have_direction_ = false, have_object_preconditioner_ = false;
};

}  // namespace xpulse::ptycho
