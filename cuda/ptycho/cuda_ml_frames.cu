// The ML engine's per-frame work on a GPU (ml_frames.h): exit waves, cuFFT, the likelihood's chi and cost, the
// gradient sums by double atomics, and the curvature along a direction, in batches of frames.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <cuda_runtime.h>
#include <cufft.h>

#include "../common/cuda_check.h"
#include "ptycho/ml_frames.h"

namespace xpulse::ptycho {
namespace {

constexpr int kThreads = 256;
constexpr int kBatch = 256;                 // frames per cuFFT batch
constexpr float kFloor = 1e-6f;             // far_field.h's kPoissonFloor

void check_cufft(cufftResult status, const char* what) {
  if (status != CUFFT_SUCCESS) {
    throw Error(std::string("cuFFT error in ") + what + ": status " + std::to_string(static_cast<int>(status)));
  }
}

__device__ float2 mul(float2 a, float2 b) { return make_float2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
__device__ float2 conj_mul(float2 a, float2 b) { return make_float2(a.x * b.x + a.y * b.y, a.x * b.y - a.y * b.x); }

// The sum of v over the block, added to *total by one atomic.
__device__ void block_add(double v, double* total) {
  __shared__ double partial[kThreads];
  __syncthreads();  // an earlier call's reads are done
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) atomicAdd(total, partial[0]);
}

// Thread idx of a batch of `count` frames from frame `first`: its pixel k in the frame and its place o in the
// object (positions are (row, column)); false past the batch.
struct WindowPixel {
  int k;
  long long o;
};

__device__ bool window_pixel(long long idx, int n, int count, const int2* positions, int first, int nx,
                             WindowPixel& at) {
  const long long n2 = static_cast<long long>(n) * n;
  if (idx >= n2 * count) return false;
  const int i = static_cast<int>(idx / n2), k = static_cast<int>(idx % n2);
  const int2 p = positions[first + i];
  at = {k, static_cast<long long>(p.x + k / n) * nx + p.y + k % n};
  return true;
}

__device__ long long thread_index() { return static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; }

// out[i][k] = P[k] O[window of frame first + i][k].
__global__ void exit_waves(const float2* object, int nx, const float2* probe, int n, const int2* positions, int first,
                           int count, float2* out) {
  WindowPixel at;
  if (!window_pixel(thread_index(), n, count, positions, first, nx, at)) return;
  out[thread_index()] = mul(probe[at.k], object[at.o]);
}

// A *= scale (cuFFT is unnormalised), chi = w df/dconj(Psi), cost += w f; one frame per blockIdx.y.
__global__ void cost_and_chi(float2* a, const float* data, const float* weight, int n2, float scale, bool poisson,
                             float2* chi, double* cost) {
  const int k = blockIdx.x * blockDim.x + threadIdx.x;
  const long long at = static_cast<long long>(blockIdx.y) * n2 + k;
  double f = 0;
  if (k < n2) {
    float2 psi = a[at];
    psi.x *= scale, psi.y *= scale;
    a[at] = psi;
    const float w = weight[k], d = data[at];
    const float i = psi.x * psi.x + psi.y * psi.y;
    float factor, value;
    if (poisson) {
      const float ii = fmaxf(i, kFloor);
      factor = 1 - d / ii;
      value = d > 0 ? ii - d - d * logf(ii / fmaxf(d, kFloor)) : ii;
    } else {
      const float m = sqrtf(i);
      factor = m > 0 ? 1 - d / m : 0.0f;
      value = (m - d) * (m - d);
    }
    chi[at] = make_float2(w * psi.x * factor, w * psi.y * factor);
    f = w * value;
  }
  block_add(f, cost);
}

// g_object[window] += conj(P) G scale, g_probe += conj(O[window]) G scale (when refined), G = F^-1 chi unscaled.
__global__ void add_gradient(const float2* g, const float2* probe, const float2* object, int nx, int n,
                             const int2* positions, int first, int count, float scale, double2* g_object,
                             double2* g_probe) {
  WindowPixel at;
  if (!window_pixel(thread_index(), n, count, positions, first, nx, at)) return;
  float2 v = g[thread_index()];
  v.x *= scale, v.y *= scale;
  const float2 to_object = conj_mul(probe[at.k], v);
  atomicAdd(&g_object[at.o].x, static_cast<double>(to_object.x));
  atomicAdd(&g_object[at.o].y, static_cast<double>(to_object.y));
  if (g_probe != nullptr) {
    const float2 to_probe = conj_mul(object[at.o], v);
    atomicAdd(&g_probe[at.k].x, static_cast<double>(to_probe.x));
    atomicAdd(&g_probe[at.k].y, static_cast<double>(to_probe.y));
  }
}

// B = P dO + dP O and C = dP dO over the windows (the probe terms only when refined).
__global__ void direction_waves(const float2* object, const float2* d_object, const float2* probe,
                                const float2* d_probe, int nx, int n, const int2* positions, int first, int count,
                                bool refine, float2* b, float2* c) {
  WindowPixel at;
  if (!window_pixel(thread_index(), n, count, positions, first, nx, at)) return;
  float2 v = mul(probe[at.k], d_object[at.o]);
  if (refine) {
    const float2 w = mul(d_probe[at.k], object[at.o]);
    v.x += w.x, v.y += w.y;
    c[thread_index()] = mul(d_probe[at.k], d_object[at.o]);
  }
  b[thread_index()] = v;
}

// Per frame (blockIdx.y): the exact and the Gauss-Newton (Gaussian) or Fisher (Poisson) second derivatives along
// the line, as in ml_frames_cpu.cpp. a is scaled already; b and c are scaled here.
__global__ void curvature_terms(const float2* a, const float2* b, const float2* c, const float* data,
                                const float* weight, int n2, float scale, bool poisson, bool refine, double* exact,
                                double* gauss_newton) {
  const int k = blockIdx.x * blockDim.x + threadIdx.x;
  const long long at = static_cast<long long>(blockIdx.y) * n2 + k;
  double e = 0, g = 0;
  if (k < n2) {
    const float2 av = a[at];
    float2 bv = b[at];
    bv.x *= scale, bv.y *= scale;
    float2 cv = make_float2(0, 0);
    if (refine) cv = c[at], cv.x *= scale, cv.y *= scale;
    const float w = weight[k];
    const float bb = bv.x * bv.x + bv.y * bv.y, ab = av.x * bv.x + av.y * bv.y, ac = av.x * cv.x + av.y * cv.y;
    if (poisson) {
      const float i = fmaxf(av.x * av.x + av.y * av.y, kFloor);
      g = w * 4 * ab * ab / i;
      e = g;
    } else {
      const float u = sqrtf(av.x * av.x + av.y * av.y);
      const float inv = u > 0 ? 1 / u : 0.0f;
      const float du = ab * inv, ddu = (bb + 2 * ac - du * du) * inv;
      const float gn = u > 0 ? 2 * du * du : 2 * bb;
      g = w * gn;
      e = w * (u > 0 ? gn + 2 * (u - data[at]) * ddu : gn);
    }
  }
  block_add(e, exact + blockIdx.y);
  block_add(g, gauss_newton + blockIdx.y);
}

unsigned blocks_for(long long elements) { return static_cast<unsigned>((elements + kThreads - 1) / kThreads); }

class CudaMlFrames : public MlFrames {
 public:
  CudaMlFrames(const PtychoProblem& problem, const EngineOptions& options, int device)
      : problem_(problem), options_(options) {
    cuda::check(cudaSetDevice(device), "cudaSetDevice");
    const std::size_t n2 = problem.n * problem.n, frames = problem.frames;
    const std::vector<float>& data = options.noise == NoiseModel::poisson ? problem.intensity : problem.amplitude;
    data_ = upload(data);
    weight_ = upload(problem.weight);
    std::vector<int2> positions;
    for (const Position& p : problem.positions) positions.push_back(make_int2(p.row, p.col));
    positions_ = upload(positions);
    a_ = cuda::CudaArray<float2, false>(frames * n2);
    const std::size_t batch = std::min<std::size_t>(kBatch, frames);
    work_ = cuda::CudaArray<float2, false>(2 * batch * n2);
    object_ = cuda::CudaArray<float2, false>(problem.object_ny * problem.object_nx);
    d_object_ = cuda::CudaArray<float2, false>(problem.object_ny * problem.object_nx);
    probe_ = cuda::CudaArray<float2, false>(n2);
    d_probe_ = cuda::CudaArray<float2, false>(n2);
    g_object_ = cuda::CudaArray<double2, false>(problem.object_ny * problem.object_nx);
    g_probe_ = cuda::CudaArray<double2, false>(n2);
    sums_ = cuda::CudaArray<double, false>(1 + 2 * frames);
    int dims[2] = {static_cast<int>(problem.n), static_cast<int>(problem.n)};
    for (int b : {static_cast<int>(batch), static_cast<int>(frames % batch)}) {
      cufftHandle plan = 0;
      if (b > 0) {
        check_cufft(cufftPlanMany(&plan, 2, dims, nullptr, 1, static_cast<int>(n2), nullptr, 1, static_cast<int>(n2),
                                  CUFFT_C2C, b),
                    "cufftPlanMany");
      }
      plans_.push_back(plan);
    }
  }
  ~CudaMlFrames() override {
    for (cufftHandle p : plans_) {
      if (p) cufftDestroy(p);
    }
  }

  double gradient(const PtychoState& s, std::vector<cdouble>& g_object, std::vector<cdouble>& g_probe) override {
    const std::size_t n = problem_.n, n2 = n * n;
    const bool refine = options_.probe_refine;
    const float scale = 1.0f / static_cast<float>(n);
    copy_in(object_, s.object);
    copy_in(probe_, s.probe);
    cuda::check(cudaMemset(g_object_.data(), 0, g_object_.size() * sizeof(double2)), "cudaMemset");
    cuda::check(cudaMemset(g_probe_.data(), 0, g_probe_.size() * sizeof(double2)), "cudaMemset");
    cuda::check(cudaMemset(sums_.data(), 0, sizeof(double)), "cudaMemset");
    for_batches([&](std::size_t first, std::size_t count, cufftHandle plan) {
      float2* a = a_.data() + first * n2;
      float2* chi = work_.data();
      const auto elements = static_cast<long long>(count * n2);
      exit_waves<<<blocks_for(elements), kThreads>>>(object_.data(), static_cast<int>(problem_.object_nx),
                                                     probe_.data(), static_cast<int>(n), positions_.data(),
                                                     static_cast<int>(first), static_cast<int>(count), a);
      fft(plan, a, CUFFT_FORWARD);
      const dim3 grid(blocks_for(static_cast<long long>(n2)), static_cast<unsigned>(count));
      cost_and_chi<<<grid, kThreads>>>(a, data_.data() + first * n2, weight_.data(), static_cast<int>(n2), scale,
                                       options_.noise == NoiseModel::poisson, chi, sums_.data());
      fft(plan, chi, CUFFT_INVERSE);
      add_gradient<<<blocks_for(elements), kThreads>>>(chi, probe_.data(), object_.data(),
                                                       static_cast<int>(problem_.object_nx), static_cast<int>(n),
                                                       positions_.data(), static_cast<int>(first),
                                                       static_cast<int>(count), scale, g_object_.data(),
                                                       refine ? g_probe_.data() : nullptr);
      cuda::check(cudaGetLastError(), "ML gradient kernels");
    });
    g_object.resize(g_object_.size());
    g_probe.resize(g_probe_.size());
    cuda::check(cudaMemcpy(g_object.data(), g_object_.data(), g_object_.size() * sizeof(double2),
                           cudaMemcpyDeviceToHost), "cudaMemcpy gradient");
    cuda::check(cudaMemcpy(g_probe.data(), g_probe_.data(), g_probe_.size() * sizeof(double2), cudaMemcpyDeviceToHost),
                "cudaMemcpy gradient");
    double cost = 0;
    cuda::check(cudaMemcpy(&cost, sums_.data(), sizeof(double), cudaMemcpyDeviceToHost), "cudaMemcpy cost");
    return cost;
  }

  double curvature(const PtychoState& s, const std::vector<cfloat>& d_object,
                   const std::vector<cfloat>& d_probe) override {
    const std::size_t n = problem_.n, n2 = n * n, frames = problem_.frames;
    const bool refine = options_.probe_refine;
    const float scale = 1.0f / static_cast<float>(n);
    copy_in(object_, s.object);
    copy_in(probe_, s.probe);
    copy_in(d_object_, d_object);
    if (refine) copy_in(d_probe_, d_probe);
    cuda::check(cudaMemset(sums_.data() + 1, 0, 2 * frames * sizeof(double)), "cudaMemset");
    for_batches([&](std::size_t first, std::size_t count, cufftHandle plan) {
      float2* b = work_.data();
      float2* c = b + count * n2;
      const auto elements = static_cast<long long>(count * n2);
      direction_waves<<<blocks_for(elements), kThreads>>>(object_.data(), d_object_.data(), probe_.data(),
                                                          d_probe_.data(), static_cast<int>(problem_.object_nx),
                                                          static_cast<int>(n), positions_.data(),
                                                          static_cast<int>(first), static_cast<int>(count), refine, b,
                                                          c);
      fft(plan, b, CUFFT_FORWARD);
      if (refine) fft(plan, c, CUFFT_FORWARD);
      const dim3 grid(blocks_for(static_cast<long long>(n2)), static_cast<unsigned>(count));
      curvature_terms<<<grid, kThreads>>>(a_.data() + first * n2, b, c, data_.data() + first * n2, weight_.data(),
                                          static_cast<int>(n2), scale, options_.noise == NoiseModel::poisson, refine,
                                          sums_.data() + 1 + first, sums_.data() + 1 + frames + first);
      cuda::check(cudaGetLastError(), "ML curvature kernels");
    });
    std::vector<double> terms(2 * frames);
    cuda::check(cudaMemcpy(terms.data(), sums_.data() + 1, 2 * frames * sizeof(double), cudaMemcpyDeviceToHost),
                "cudaMemcpy curvature");
    double total = 0;
    for (std::size_t j = 0; j < frames; ++j) total += std::max(terms[j], terms[frames + j]);
    return total;
  }

  double take_fft_seconds() override {
    const double s = fft_seconds_;
    fft_seconds_ = 0;
    return s;
  }

 private:
  template <class T>
  static cuda::CudaArray<T, false> upload(const std::vector<T>& host) {
    cuda::CudaArray<T, false> device(host.size());
    cuda::check(cudaMemcpy(device.data(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
    return device;
  }
  static void copy_in(cuda::CudaArray<float2, false>& device, const std::vector<cfloat>& host) {
    cuda::check(cudaMemcpy(device.data(), host.data(), host.size() * sizeof(float2), cudaMemcpyHostToDevice),
                "cudaMemcpy");
  }
  template <class Body>
  void for_batches(Body&& body) {
    const std::size_t batch = std::min<std::size_t>(kBatch, problem_.frames);
    for (std::size_t first = 0; first < problem_.frames; first += batch) {
      const std::size_t count = std::min(batch, problem_.frames - first);
      body(first, count, count == batch ? plans_[0] : plans_[1]);
    }
  }
  void fft(cufftHandle plan, float2* data, int direction) {
    const auto t = std::chrono::steady_clock::now();
    check_cufft(cufftExecC2C(plan, reinterpret_cast<cufftComplex*>(data), reinterpret_cast<cufftComplex*>(data),
                             direction),
                "cufftExecC2C");
    cuda::check(cudaDeviceSynchronize(), "cuFFT");
    fft_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }

  const PtychoProblem& problem_;
  EngineOptions options_;
  cuda::CudaArray<float, false> data_, weight_;
  cuda::CudaArray<int2, false> positions_;
  cuda::CudaArray<float2, false> a_, work_, object_, d_object_, probe_, d_probe_;
  cuda::CudaArray<double2, false> g_object_, g_probe_;
  cuda::CudaArray<double, false> sums_;  // cost, then per frame the exact and Gauss-Newton curvatures
  std::vector<cufftHandle> plans_;       // full batch, remainder
  double fft_seconds_ = 0;
};

}  // namespace
}  // namespace xpulse::ptycho

// The module's entry point (ptycho::CudaMlFramesFactory).
extern "C" std::unique_ptr<xpulse::ptycho::MlFrames> xpulse_cuda_ml_frames(const xpulse::ptycho::PtychoProblem& problem,
                                                                          const xpulse::ptycho::EngineOptions& options,
                                                                          int device) {
  return std::make_unique<xpulse::ptycho::CudaMlFrames>(problem, options, device);
}
