// CUDA twin of nufft::Plan (see src/nufft/cuda_plan.h). Stages, all on one stream of the plan's device:
//   set_points: upload coordinates; bin key per point and bin counts (atomics); exclusive scan; scatter the
//               points' fine-grid coordinates into bin order (order[] remembers where each came from).
//   type 1:     zero grid; one thread per sorted point adds its w^3 cells atomically; cuFFT; modes from the
//               grid times the deconvolution factors.
//   type 2:     zero grid; modes times the factors into the grid; cuFFT; one thread per sorted point sums its
//               w^3 cells and writes its value to its original position.
// The per-point arithmetic is point_kernel.h, which the CPU tests also run.
#include <array>
#include <chrono>
#include <string>
#include <utility>

#include <cuda_runtime.h>
#include <cufft.h>
#include <thrust/execution_policy.h>
#include <thrust/scan.h>

#include "../common/cuda_check.h"
#include "nufft/cuda_plan.h"
#include "nufft/plan_geometry.h"
#include "nufft/point_kernel.h"

namespace xpulse::nufft {
namespace {

using cuda::check;
using cuda::DeviceArray;

constexpr int kBinCells = 16;
constexpr int kThreads = 256;

void check_cufft(cufftResult status, const char* what) {
  if (status != CUFFT_SUCCESS) {
    throw Error(std::string("cuFFT error in ") + what + ": code " + std::to_string(static_cast<int>(status)));
  }
}

unsigned blocks_for(std::size_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

struct Bins {
  int count[3];
};

template <class T>
struct Coordinates {  // the caller's arrays in mapped order, null for an unused dimension
  const T* c[3];
};

template <class T>
__global__ void bin_points(Coordinates<T> x, std::size_t n, SpreadShape s, Bins bins, unsigned* key,
                           unsigned* bin_count) {
  const std::size_t j = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= n) return;
  int b[3] = {0, 0, 0};
  for (int d = 0; d < 3; ++d) {
    if (x.c[d] != nullptr) {
      b[d] = static_cast<int>(fine_coordinate(static_cast<double>(x.c[d][j]), s.nf[d])) / kBinCells;
    }
  }
  const unsigned k = static_cast<unsigned>((b[2] * bins.count[1] + b[1]) * bins.count[0] + b[0]);
  key[j] = k;
  atomicAdd(bin_count + k, 1u);
}

template <class T>
__global__ void scatter_points(Coordinates<T> x, std::size_t n, SpreadShape s, const unsigned* key,
                               unsigned* cursor, unsigned* order, double* sorted_u) {
  const std::size_t j = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= n) return;
  const unsigned pos = atomicAdd(cursor + key[j], 1u);
  order[pos] = static_cast<unsigned>(j);
  for (int d = 0; d < 3; ++d) {
    sorted_u[d * n + pos] = x.c[d] != nullptr ? fine_coordinate(static_cast<double>(x.c[d][j]), s.nf[d]) : 0.0;
  }
}

template <class T>
__global__ void spread_kernel(SpreadShape s, std::size_t n, const double* sorted_u, const unsigned* order,
                              const T* c, T* grid) {
  const std::size_t p = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p >= n) return;
  const double u[3] = {sorted_u[p], sorted_u[n + p], sorted_u[2 * n + p]};
  const unsigned j = order[p];
  spread_point<T>(s, u, c[2 * j], c[2 * j + 1], [grid](long long cell, T re, T im) {
    atomicAdd(grid + 2 * cell, re);
    atomicAdd(grid + 2 * cell + 1, im);
  });
}

template <class T>
__global__ void interpolate_kernel(SpreadShape s, std::size_t n, const double* sorted_u, const unsigned* order,
                                   const T* grid, T* c) {
  const std::size_t p = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p >= n) return;
  const double u[3] = {sorted_u[p], sorted_u[n + p], sorted_u[2 * n + p]};
  T re, im;
  interpolate_point<T>(s, u, grid, re, im);
  const unsigned j = order[p];
  c[2 * j] = re;
  c[2 * j + 1] = im;
}

struct ModeTables {  // device pointers: per mapped dimension, fine-grid index and correction of each mode
  const unsigned* index[3];
  std::size_t modes[3];
  std::size_t nf[3];
};

// Type 1: f = grid cell times the factors; type 2 (to_grid): grid cell = f times the factors.
template <class T>
__global__ void deconvolve_kernel(ModeTables t, const T* corr0, const T* corr1, const T* corr2, T* grid, T* f,
                                  bool to_grid) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t m1 = t.modes[0], m2 = t.modes[1];
  if (i >= m1 * m2 * t.modes[2]) return;
  const std::size_t i1 = i % m1, i2 = (i / m1) % m2, i3 = i / (m1 * m2);
  const std::size_t cell = (static_cast<std::size_t>(t.index[2][i3]) * t.nf[1] + t.index[1][i2]) * t.nf[0] +
                           t.index[0][i1];
  const T w = corr0[i1] * corr1[i2] * corr2[i3];
  if (to_grid) {
    grid[2 * cell] = f[2 * i] * w;
    grid[2 * cell + 1] = f[2 * i + 1] * w;
  } else {
    f[2 * i] = grid[2 * cell] * w;
    f[2 * i + 1] = grid[2 * cell + 1] * w;
  }
}

}  // namespace

// nufft::CudaPlan's work on the device.
template <class T>
class DevicePlan final : public CudaPlan<T>::Backend {
 public:
  DevicePlan(int type, std::span<const std::size_t> modes, double eps, const PlanOptions& options, int device);
  ~DevicePlan() override;
  void set_points(std::size_t n, const T* x, const T* y, const T* z) override;
  void execute(std::complex<T>* c, std::complex<T>* f) override;
  int type() const override;
  int dimensions() const override;
  std::size_t modes() const override;
  std::size_t points() const override;
  int kernel_width() const override;
  std::vector<std::size_t> fine_grid() const override;
  const Timings& timings() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

template <class T>
struct DevicePlan<T>::Impl {
  PlanGeometry g;
  int device = 0;
  SpreadShape shape{};
  Bins bins{};
  cudaStream_t stream = nullptr;
  cufftHandle fft = 0;
  bool fft_made = false;
  DeviceArray<T> grid;                 // interleaved complex, nf[0] * nf[1] * nf[2]
  DeviceArray<unsigned> index[3];
  DeviceArray<T> correction[3];
  DeviceArray<double> sorted_u;        // [3][n]
  DeviceArray<unsigned> order;         // sorted position -> point
  DeviceArray<T> c;                    // strengths or values, interleaved complex, original order
  DeviceArray<T> f;                    // modes, interleaved complex
  std::size_t n_points = 0;
  bool points_set = false;
  Timings timings;

  explicit Impl(PlanGeometry geometry) : g(std::move(geometry)) {}
  ~Impl() {
    if (fft_made) cufftDestroy(fft);
    if (stream != nullptr) cudaStreamDestroy(stream);
  }
  void synchronize(const char* what) { check(cudaStreamSynchronize(stream), what); }
};

template <class T>
DevicePlan<T>::DevicePlan(int type, std::span<const std::size_t> modes, double eps, const PlanOptions& options,
                      int device)
    : impl_(std::make_unique<Impl>(make_plan_geometry<T>(type, modes, eps, options))) {
  Impl& p = *impl_;
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    throw InputError("no CUDA device is available for the NUFFT");
  }
  if (device < 0 || device >= devices) {
    throw InvalidArgument("CUDA device " + std::to_string(device) + " does not exist (" + std::to_string(devices) +
                          " found)");
  }
  p.device = device;
  cuda::DeviceScope scope(device);
  check(cudaStreamCreateWithFlags(&p.stream, cudaStreamNonBlocking), "cudaStreamCreate");
  for (int d = 0; d < 3; ++d) {
    p.shape.nf[d] = static_cast<int>(p.g.nf[d]);
    p.shape.width[d] = p.g.width[d];
    p.bins.count[d] = static_cast<int>((p.g.nf[d] + kBinCells - 1) / kBinCells);
  }
  p.shape.beta = p.g.kernel.beta;
  p.grid = DeviceArray<T>(2 * p.g.grid_size());
  p.f = DeviceArray<T>(2 * p.g.mode_count());
  for (int d = 0; d < 3; ++d) {
    const std::vector<unsigned> index(p.g.grid_index[d].begin(), p.g.grid_index[d].end());
    const std::vector<T> correction(p.g.correction[d].begin(), p.g.correction[d].end());
    p.index[d] = DeviceArray<unsigned>(index.size());
    p.correction[d] = DeviceArray<T>(correction.size());
    check(cudaMemcpy(p.index[d].data(), index.data(), index.size() * sizeof(unsigned), cudaMemcpyHostToDevice),
          "cudaMemcpy (mode tables)");
    check(cudaMemcpy(p.correction[d].data(), correction.data(), correction.size() * sizeof(T),
                     cudaMemcpyHostToDevice),
          "cudaMemcpy (mode tables)");
  }
  // cuFFT takes dimensions slowest first; unused (size-1) dimensions are left out.
  int n[3];
  int rank = 0;
  for (int d = 2; d >= 0; --d) {
    if (p.g.width[d] > 1) n[rank++] = static_cast<int>(p.g.nf[d]);
  }
  constexpr cufftType kind = sizeof(T) == sizeof(float) ? CUFFT_C2C : CUFFT_Z2Z;
  check_cufft(cufftPlanMany(&p.fft, rank, n, nullptr, 1, 0, nullptr, 1, 0, kind, 1), "cufftPlanMany");
  p.fft_made = true;
  check_cufft(cufftSetStream(p.fft, p.stream), "cufftSetStream");
}

template <class T>
DevicePlan<T>::~DevicePlan() {
  if (impl_) {
    cuda::DeviceScope scope(impl_->device);
    impl_.reset();
  }
}

template <class T>
void DevicePlan<T>::set_points(std::size_t n, const T* x, const T* y, const T* z) {
  Impl& p = *impl_;
  p.points_set = false;
  const std::array<const T*, 3> mapped = mapped_coordinates(p.g, n, x, y, z);
  if (n >= (std::size_t{1} << 32)) throw InvalidArgument("the CUDA NUFFT takes fewer than 2^32 points per plan");
  cuda::DeviceScope scope(p.device);
  const auto t = std::chrono::steady_clock::now();
  p.n_points = n;
  p.sorted_u = DeviceArray<double>(3 * n);
  p.order = DeviceArray<unsigned>(n);
  p.c = DeviceArray<T>(2 * n);
  if (n > 0) {
    DeviceArray<T> coordinates[3];
    Coordinates<T> device_coordinates{{nullptr, nullptr, nullptr}};
    for (int d = 0; d < 3; ++d) {
      if (mapped[d] == nullptr) continue;
      coordinates[d] = DeviceArray<T>(n);
      check(cudaMemcpyAsync(coordinates[d].data(), mapped[d], n * sizeof(T), cudaMemcpyHostToDevice, p.stream),
            "cudaMemcpyAsync (coordinates)");
      device_coordinates.c[d] = coordinates[d].data();
    }
    const std::size_t bins = static_cast<std::size_t>(p.bins.count[0]) * p.bins.count[1] * p.bins.count[2];
    DeviceArray<unsigned> key(n), count(bins), cursor(bins);
    check(cudaMemsetAsync(count.data(), 0, bins * sizeof(unsigned), p.stream), "cudaMemsetAsync (bins)");
    bin_points<T><<<blocks_for(n), kThreads, 0, p.stream>>>(device_coordinates, n, p.shape, p.bins, key.data(),
                                                            count.data());
    check(cudaGetLastError(), "bin_points");
    thrust::exclusive_scan(thrust::cuda::par.on(p.stream), count.data(), count.data() + bins, cursor.data());
    scatter_points<T><<<blocks_for(n), kThreads, 0, p.stream>>>(device_coordinates, n, p.shape, key.data(),
                                                                cursor.data(), p.order.data(), p.sorted_u.data());
    check(cudaGetLastError(), "scatter_points");
    p.synchronize("NUFFT set_points");
  }
  p.timings.sort = seconds_since(t);
  p.points_set = true;
}

template <class T>
void DevicePlan<T>::execute(std::complex<T>* c, std::complex<T>* f) {
  Impl& p = *impl_;
  if (!p.points_set) throw InvalidArgument("NUFFT execute before set_points");
  if ((c == nullptr && p.n_points > 0) || f == nullptr) throw InvalidArgument("NUFFT execute: null data");
  cuda::DeviceScope scope(p.device);
  const std::size_t n = p.n_points, m = p.g.mode_count();
  const ModeTables tables{{p.index[0].data(), p.index[1].data(), p.index[2].data()},
                          {p.g.modes[0], p.g.modes[1], p.g.modes[2]},
                          {p.g.nf[0], p.g.nf[1], p.g.nf[2]}};
  const int direction = p.g.options.sign > 0 ? CUFFT_INVERSE : CUFFT_FORWARD;
  auto run_fft = [&] {
    if constexpr (sizeof(T) == sizeof(float)) {
      auto* g = reinterpret_cast<cufftComplex*>(p.grid.data());
      check_cufft(cufftExecC2C(p.fft, g, g, direction), "cufftExecC2C");
    } else {
      auto* g = reinterpret_cast<cufftDoubleComplex*>(p.grid.data());
      check_cufft(cufftExecZ2Z(p.fft, g, g, direction), "cufftExecZ2Z");
    }
  };
  auto deconvolve = [&](bool to_grid) {
    deconvolve_kernel<T><<<blocks_for(m), kThreads, 0, p.stream>>>(tables, p.correction[0].data(),
                                                                   p.correction[1].data(), p.correction[2].data(),
                                                                   p.grid.data(), p.f.data(), to_grid);
    check(cudaGetLastError(), "deconvolve_kernel");
  };
  // Each stage ends in a synchronisation, so that its time is its own.
  auto t = std::chrono::steady_clock::now();
  auto finish = [&](double& seconds, const char* what) {
    p.synchronize(what);
    seconds = seconds_since(t);
    t = std::chrono::steady_clock::now();
  };
  check(cudaMemsetAsync(p.grid.data(), 0, p.grid.size() * sizeof(T), p.stream), "cudaMemsetAsync (grid)");
  if (p.g.type == 1) {
    if (n > 0) {
      check(cudaMemcpyAsync(p.c.data(), c, 2 * n * sizeof(T), cudaMemcpyHostToDevice, p.stream),
            "cudaMemcpyAsync (strengths)");
      spread_kernel<T><<<blocks_for(n), kThreads, 0, p.stream>>>(p.shape, n, p.sorted_u.data(), p.order.data(),
                                                                 p.c.data(), p.grid.data());
      check(cudaGetLastError(), "spread_kernel");
    }
    finish(p.timings.spread, "NUFFT spread");
    run_fft();
    finish(p.timings.fft, "NUFFT FFT");
    deconvolve(false);
    check(cudaMemcpyAsync(f, p.f.data(), 2 * m * sizeof(T), cudaMemcpyDeviceToHost, p.stream),
          "cudaMemcpyAsync (modes)");
    finish(p.timings.deconvolve, "NUFFT deconvolve");
  } else {
    check(cudaMemcpyAsync(p.f.data(), f, 2 * m * sizeof(T), cudaMemcpyHostToDevice, p.stream),
          "cudaMemcpyAsync (modes)");
    deconvolve(true);
    finish(p.timings.deconvolve, "NUFFT deconvolve");
    run_fft();
    finish(p.timings.fft, "NUFFT FFT");
    if (n > 0) {
      interpolate_kernel<T><<<blocks_for(n), kThreads, 0, p.stream>>>(p.shape, n, p.sorted_u.data(),
                                                                      p.order.data(), p.grid.data(), p.c.data());
      check(cudaGetLastError(), "interpolate_kernel");
      check(cudaMemcpyAsync(c, p.c.data(), 2 * n * sizeof(T), cudaMemcpyDeviceToHost, p.stream),
            "cudaMemcpyAsync (values)");
    }
    finish(p.timings.spread, "NUFFT interpolate");
  }
}

template <class T>
int DevicePlan<T>::type() const { return impl_->g.type; }
template <class T>
int DevicePlan<T>::dimensions() const { return impl_->g.dims; }
template <class T>
std::size_t DevicePlan<T>::modes() const { return impl_->g.mode_count(); }
template <class T>
std::size_t DevicePlan<T>::points() const { return impl_->n_points; }
template <class T>
int DevicePlan<T>::kernel_width() const { return impl_->g.kernel.width; }
template <class T>
std::vector<std::size_t> DevicePlan<T>::fine_grid() const { return impl_->g.fine_grid(); }
template <class T>
const Timings& DevicePlan<T>::timings() const { return impl_->timings; }

template class DevicePlan<float>;
template class DevicePlan<double>;

}  // namespace xpulse::nufft

// The module's entry points (nufft::CudaPlan<T>::Factory).
extern "C" std::unique_ptr<xpulse::nufft::CudaPlan<float>::Backend> xpulse_cuda_plan_float(
    int type, std::span<const std::size_t> modes, double eps, const xpulse::nufft::PlanOptions& options, int device) {
  return std::make_unique<xpulse::nufft::DevicePlan<float>>(type, modes, eps, options, device);
}

extern "C" std::unique_ptr<xpulse::nufft::CudaPlan<double>::Backend> xpulse_cuda_plan_double(
    int type, std::span<const std::size_t> modes, double eps, const xpulse::nufft::PlanOptions& options, int device) {
  return std::make_unique<xpulse::nufft::DevicePlan<double>>(type, modes, eps, options, device);
}
