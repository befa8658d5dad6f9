#pragma once
// What a NUFFT plan is, independent of where it runs: validated arguments, the kernel, the fine grid, and the
// tables that map each mode to its fine-grid cell and deconvolution factor. The CPU plan and its CUDA twin are
// built from the same geometry, so they agree on every index and weight.
//
// Dimensions are "mapped" to three, fastest first: 1D uses the third only; 2D uses the first and third; 3D all
// three. An unused dimension has size 1 and kernel width 1.
#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "nufft/es_kernel.h"
#include "nufft/plan.h"

namespace xpulse::nufft {

struct PlanGeometry {
  int type = 1;
  int dims = 1;
  PlanOptions options;
  EsKernel kernel;
  std::size_t modes[3] = {1, 1, 1};
  std::size_t nf[3] = {1, 1, 1};
  int width[3] = {1, 1, 1};
  // Per mapped dimension and mode index: the fine-grid index and 1 / kernel Fourier coefficient.
  std::vector<std::size_t> grid_index[3];
  std::vector<double> correction[3];

  std::size_t mode_count() const { return modes[0] * modes[1] * modes[2]; }
  std::size_t grid_size() const { return nf[0] * nf[1] * nf[2]; }
  std::vector<std::size_t> fine_grid() const;  // per given dimension
};

// Validates the arguments (InvalidArgument naming the bad one) and builds the geometry for precision T.
template <class T>
PlanGeometry make_plan_geometry(int type, std::span<const std::size_t> modes, double eps, const PlanOptions& options);

// The given coordinate arrays in mapped order (null for an unused dimension). Throws InvalidArgument for a
// missing array and InputError naming the first point outside [-3 pi, 3 pi) or not finite.
template <class T>
std::array<const T*, 3> mapped_coordinates(const PlanGeometry& g, std::size_t n, const T* x, const T* y,
                                           const T* z);

}  // namespace xpulse::nufft
