#pragma once
// Maximum likelihood by preconditioned nonlinear conjugate gradient (PtyGer, PtyPy's ML engine):
//   cost L = sum_j sum_k w f(Psi_jk), f Gaussian amplitude or Poisson (far_field.h),
//   gradients g_O = sum_j S_j^T conj(P) F^-1 chi_j and g_P = sum_j conj(O_j) F^-1 chi_j,
//   preconditioner 1 / (sum_j S_j^T |P|^2 + delta) for the object and 1 / (sum_j |O_j|^2 + delta) for the probe,
//   Polak-Ribiere+ directions.
// Line search: along a direction (dO, dP) every far field moves on a parabola, Psi(a) = A + a B + a^2 C with
// A = F(P O_j), B = F(dP O_j + P dO_j), C = F(dP dO_j), so the cost and its slope at any step a are sums over
// pixels without further FFTs: a Gauss-Newton first step, then secant steps on the slope. A itself is carried
// from iteration to iteration the same way (recomputed every kRefreshIterations to shed rounding), so an
// iteration costs one inverse FFT per frame (the gradient) plus one (two with the probe) forward FFTs.
#include <vector>

#include "ptycho/engine.h"

namespace xpulse::ptycho {

class MlEngine : public Engine {
 public:
  MlEngine(const PtychoProblem& problem, const EngineOptions& options, runtime::ThreadPool& pool,
           runtime::World& world);
  void iterate(PtychoState& state) override;

 private:
  struct LinePoint {
    double step = 0, cost = 0, slope = 0;
  };
  void far_fields(const PtychoState& state);                       // A
  double gradient(const PtychoState& state);                       // g, returns the cost (this rank)
  void preconditioner(const PtychoState& state);
  double direction_far_fields(const PtychoState& state);           // B, C; returns sum w |B|^2 (this rank)
  LinePoint evaluate(double step);                                 // cost and slope at a step (all ranks)
  double frame_cost(std::size_t j, const cfloat* psi, cfloat* chi) const;

  const PtychoProblem& problem_;
  EngineOptions options_;
  runtime::ThreadPool& pool_;
  runtime::World& world_;
  FrameFft fft_;
  std::vector<cfloat> a_, b_, c_;                     // far fields [frames][n * n]
  std::vector<cfloat> g_object_, g_probe_;            // gradients
  std::vector<cfloat> h_object_, h_probe_;            // preconditioned gradients
  std::vector<cfloat> d_object_, d_probe_;            // search direction
  std::vector<float> m_object_, m_probe_;             // preconditioner
  std::vector<std::vector<cfloat>> work_;             // per thread, n * n
  std::vector<double> fft_seconds_;                   // per thread
  double previous_gh_ = 0;                            // <g, M g> of the last iteration
  bool have_far_fields_ = false, have_direction_ = false;
  int since_refresh_ = 0;
};

}  // namespace xpulse::ptycho
