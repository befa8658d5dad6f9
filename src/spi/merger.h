#pragma once
// Merging of M-TIP (REFERENCE.md section 3, step 3): the autocorrelation a on the centred real-space grid
// (grid_transform.h) whose slices best fit the oriented data,
//
//   minimise |A a - b|^2 + lambda |a - a0|^2,   (A a)_j = sum_n a_n exp(i x_j . n),
//
// with x_j = (R_i^T q_p) * voxel (the points in the grid's radians) and b_j the data. The normal equations are
// solved by conjugate gradient with A^T A applied as a convolution on the 2M grid: the Toeplitz kernel
// K(d) = sum_j exp(-i x_j . d) is a type 1 NUFFT of ones, FFT'd once. a is real, so the real parts of K and of
// A^H b are used (the data of x and -x are the same intensity, Friedel's law).
//
// lambda is given relative to the number of points (the mean eigenvalue of A^T A): lambda_abs = lambda * points.
// Several values are solved (largest first, each warm-started from the last) and the L-curve picks one.
#include <complex>
#include <cstddef>
#include <memory>
#include <vector>

#include "nufft/fine_grid_fft.h"
#include "nufft/plan.h"
#include "runtime/world.h"

namespace xpulse::spi {

struct MergeOptions {
  std::vector<double> lambdas = {1e-2, 1e-3, 1e-4, 1e-5};
  int max_iterations = 60;
  double tolerance = 1e-5;  // relative residual of the normal equations
};

struct MergeCandidate {
  double lambda = 0;                    // relative
  std::vector<double> autocorrelation;  // [M^3]
  double residual = 0;                  // |A a - b| / |b|
  double norm = 0;                      // |a - a0|
  int iterations = 0;
};

struct MergeResult {
  std::vector<MergeCandidate> candidates;  // in the order of MergeOptions::lambdas
  std::size_t chosen = 0;                  // the L-curve's corner
};

class Merger {
 public:
  Merger(std::size_t m, double eps, unsigned threads);
  ~Merger();

  // Adds n points (grid radians, each coordinate in [-pi, pi)) with their data; may be called for batches.
  void add(std::size_t n, const double* x, const double* y, const double* z, const double* values);
  std::size_t points() const { return points_; }
  // Adds every rank's points into rank 0's merger (which then solves; the others' sums are left partial).
  void sum_to_root(runtime::World& world);

  // Solves for every lambda from a0 (size M^3). Throws InvalidArgument without points or lambdas.
  MergeResult solve(const std::vector<double>& a0, const MergeOptions& options);

 private:
  void convolve(const std::vector<double>& a, std::vector<double>& out);

  std::size_t m_;
  nufft::Plan<double> data_plan_, kernel_plan_;
  std::vector<std::complex<double>> back_projection_;  // A^H b, [M^3]
  std::vector<std::complex<double>> kernel_;           // K on the 2M grid, wrap order
  std::vector<double> kernel_spectrum_;                // FFT of Re K / (2M)^3
  std::vector<std::complex<double>> work_;             // 2M grid
  double data_norm2_ = 0;
  std::size_t points_ = 0;
  bool spectrum_ready_ = false;
  std::unique_ptr<nufft::FineGridFft<double>> forward_, backward_;  // in place on work_
};

// The L-curve corner of candidates (log residual against log norm, each scaled to [0, 1] over the candidates):
// the one nearest the origin.
std::size_t l_curve_corner(const std::vector<MergeCandidate>& candidates);

}  // namespace xpulse::spi
