#pragma once
// Spreading (type 1) and interpolation (type 2) between non-uniform points and the periodic fine grid, with the
// ES kernel. Points are sorted once per set_points into bins of 16 cells (cache locality). Spreading is
// parallel and race-free: the fine grid is cut into slabs of whole bins along its slowest dimension; each task
// owns one slab, visits the points of its bins and of the bins just outside it, and writes only its own planes.
// Each grid value therefore receives its contributions in the same order for any thread count.
//
// Coordinates are held as three "mapped" dimensions, fastest first; a 1D or 2D transform puts its last present
// dimension last (the slab dimension) and has size-1 dimensions of width 1 elsewhere.
#include <complex>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nufft/es_kernel.h"
#include "runtime/thread_pool.h"

namespace xpulse::nufft {

template <class T>
class Spreader {
 public:
  // nf: fine-grid sizes (mapped, fastest first); width[d]: kernel width in dimension d (1 for a size-1 one).
  Spreader(const std::size_t nf[3], const int width[3], const EsKernel& kernel);

  // Sorts points; coords[d] is null for a size-1 dimension. Coordinates are radians in [-3 pi, 3 pi) (checked
  // by the plan) and are read only here.
  void sort(std::size_t n, const T* const coords[3], runtime::ThreadPool& pool);

  void spread(const std::complex<T>* c, std::complex<T>* grid, runtime::ThreadPool& pool) const;
  void interpolate(const std::complex<T>* grid, std::complex<T>* c, runtime::ThreadPool& pool) const;

 private:
  struct Support;
  Support support_of(std::size_t sorted) const;

  std::size_t nf_[3];
  int width_[3];
  PiecewiseKernel kernel_;
  std::size_t bins_[3] = {1, 1, 1};
  std::size_t n_ = 0;
  std::vector<std::uint64_t> order_;       // sorted position -> point index
  // Fine-grid coordinates in sorted order (empty for a size-1 dimension), so that spreading reads them
  // sequentially (the caller's arrays, read in sorted order, would cost a cache miss per coordinate).
  std::vector<double> sorted_u_[3];
  std::vector<std::size_t> layer_start_;   // first sorted position of each slowest-dimension bin layer (+ end)
};

}  // namespace xpulse::nufft
