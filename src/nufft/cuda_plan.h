#pragma once
// The CUDA twin of nufft::Plan: the same plan API, geometry (plan_geometry.h) and results, with spreading and
// interpolation as one GPU thread per point (point_kernel.h) and the fine-grid FFT by cuFFT.
//
// Points are sorted into bins of 16^3 fine-grid cells on the device (counting sort), so that neighbouring
// threads touch neighbouring cells. Spreading adds with atomics, so the order of additions into one cell, and
// hence the last bits of a type 1 result, can differ between runs; type 2 is deterministic.
//
// Data are host arrays (copied to and from the device inside execute); the plan holds the device copies of the
// sorted fine-grid coordinates (24 bytes per point in 3D) and the fine grid. The work runs in the CUDA module
// (runtime/cuda_module.h); the constructor throws InputError saying why when the module cannot be loaded.
#include <complex>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "nufft/plan.h"

namespace xpulse::nufft {

template <class T>  // float or double
class CudaPlan {
 public:
  // As Plan's constructor (options.threads is not used), on CUDA device `device`.
  CudaPlan(int type, std::span<const std::size_t> modes, double eps, const PlanOptions& options = {},
           int device = 0);
  ~CudaPlan();
  CudaPlan(CudaPlan&&) noexcept;
  CudaPlan& operator=(CudaPlan&&) noexcept;

  void set_points(std::size_t n, const T* x, const T* y = nullptr, const T* z = nullptr);
  void execute(std::complex<T>* c, std::complex<T>* f);

  int type() const;
  int dimensions() const;
  std::size_t modes() const;
  std::size_t points() const;
  int kernel_width() const;
  std::vector<std::size_t> fine_grid() const;
  // Seconds of the last set_points (sort, including the upload of the coordinates) and execute (spread or
  // interpolate, FFT, deconvolve; the transfers of c and f are counted in spread and deconvolve).
  const Timings& timings() const;

  // What the module implements; its entry points "xpulse_cuda_plan_float" and "xpulse_cuda_plan_double" are
  // Factories.
  class Backend {
   public:
    virtual ~Backend() = default;
    virtual void set_points(std::size_t n, const T* x, const T* y, const T* z) = 0;
    virtual void execute(std::complex<T>* c, std::complex<T>* f) = 0;
    virtual int type() const = 0;
    virtual int dimensions() const = 0;
    virtual std::size_t modes() const = 0;
    virtual std::size_t points() const = 0;
    virtual int kernel_width() const = 0;
    virtual std::vector<std::size_t> fine_grid() const = 0;
    virtual const Timings& timings() const = 0;
  };
  using Factory = std::unique_ptr<Backend>(int type, std::span<const std::size_t> modes, double eps,
                                           const PlanOptions& options, int device);

 private:
  std::unique_ptr<Backend> impl_;
};

}  // namespace xpulse::nufft
