#include <chrono>
#include <limits>
#include <string>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "../common/cuda_check.h"
#include "spi/cuda_matcher.h"

namespace xpulse::spi {
namespace {

constexpr int kThreads = 256;

void check_cublas(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw Error(std::string("cuBLAS error in ") + what + ": status " + std::to_string(static_cast<int>(status)));
  }
}

class Cublas {
 public:
  Cublas() { check_cublas(cublasCreate(&handle_), "cublasCreate"); }
  ~Cublas() { cublasDestroy(handle_); }
  Cublas(const Cublas&) = delete;
  Cublas& operator=(const Cublas&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

// out[row] = sum of rows[row][p]^2 in double; one block per row.
__global__ void squared_norms(const float* rows, std::size_t pixels, double* out) {
  __shared__ double partial[kThreads];
  const float* r = rows + static_cast<std::size_t>(blockIdx.x) * pixels;
  double s = 0;
  for (std::size_t p = threadIdx.x; p < pixels; p += blockDim.x) s += static_cast<double>(r[p]) * r[p];
  partial[threadIdx.x] = s;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = partial[0];
}

// For image i of the block (blockIdx.x): the reference with the smallest distance, lowest index on ties.
// cross is column-major [references x rows]: cross[r + i * references].
__global__ void nearest_reference(const float* cross, std::size_t references, const double* image_norm,
                                  const double* slice_norm, bool scaled, unsigned* best, float* distance) {
  __shared__ double best_d[kThreads];
  __shared__ unsigned best_r[kThreads];
  const unsigned i = blockIdx.x;
  const float* c = cross + static_cast<std::size_t>(i) * references;
  const double xx = image_norm[i];
  double d_min = 1.0 / 0.0;
  unsigned r_min = 0xffffffffu;
  for (std::size_t r = threadIdx.x; r < references; r += blockDim.x) {
    double d;
    if (scaled) {
      const double xy = fmax(0.0, static_cast<double>(c[r]));
      d = slice_norm[r] > 0 ? xx - xy * xy / slice_norm[r] : xx;
    } else {
      d = xx + slice_norm[r] - 2.0 * c[r];
    }
    if (d < d_min) d_min = d, r_min = static_cast<unsigned>(r);  // r rises within a thread: ties keep the first
  }
  best_d[threadIdx.x] = d_min;
  best_r[threadIdx.x] = r_min;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) {
      const double d = best_d[threadIdx.x + half];
      const unsigned r = best_r[threadIdx.x + half];
      if (d < best_d[threadIdx.x] || (d == best_d[threadIdx.x] && r < best_r[threadIdx.x])) {
        best_d[threadIdx.x] = d, best_r[threadIdx.x] = r;
      }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) best[i] = best_r[0], distance[i] = static_cast<float>(best_d[0]);
}

MatchResult match_on_device(const float* images, std::size_t n_images, const float* slices,
                            std::size_t n_references, std::size_t pixels, const MatchOptions& options, int device) {
  if (n_references == 0) throw InvalidArgument("orientation matching needs at least one reference slice");
  if (pixels == 0) throw InvalidArgument("orientation matching needs at least one pixel");
  cuda::check(cudaSetDevice(device), "cudaSetDevice");
  MatchResult result;
  result.best.assign(n_images, 0);
  result.distance.assign(n_images, 0.0f);
  if (n_images == 0) return result;
  const std::size_t block = std::max<std::size_t>(1, std::min(options.images_per_block, n_images));
  cuda::CudaArray<float, false> d_slices(n_references * pixels), d_images(block * pixels),
      d_cross(block * n_references);
  cuda::CudaArray<double, false> d_slice_norm(n_references), d_image_norm(block);
  cuda::CudaArray<unsigned, false> d_best(block);
  cuda::CudaArray<float, false> d_distance(block);
  cuda::check(cudaMemcpy(d_slices.data(), slices, n_references * pixels * sizeof(float), cudaMemcpyHostToDevice),
              "cudaMemcpy slices");
  squared_norms<<<static_cast<unsigned>(n_references), kThreads>>>(d_slices.data(), pixels, d_slice_norm.data());
  cuda::check(cudaGetLastError(), "squared_norms");
  const Cublas cublas;
  const float one = 1.0f, zero = 0.0f;
  for (std::size_t first = 0; first < n_images; first += block) {
    const std::size_t rows = std::min(block, n_images - first);
    cuda::check(cudaMemcpy(d_images.data(), images + first * pixels, rows * pixels * sizeof(float),
                           cudaMemcpyHostToDevice),
                "cudaMemcpy images");
    squared_norms<<<static_cast<unsigned>(rows), kThreads>>>(d_images.data(), pixels, d_image_norm.data());
    const auto t = std::chrono::steady_clock::now();
    // Column-major: cross [references x rows] = slices^T (as [pixels x references]) x images [pixels x rows].
    check_cublas(cublasSgemm(cublas.get(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(n_references),
                             static_cast<int>(rows), static_cast<int>(pixels), &one, d_slices.data(),
                             static_cast<int>(pixels), d_images.data(), static_cast<int>(pixels), &zero,
                             d_cross.data(), static_cast<int>(n_references)),
                 "cublasSgemm");
    cuda::check(cudaDeviceSynchronize(), "sgemm");
    result.gemm_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    nearest_reference<<<static_cast<unsigned>(rows), kThreads>>>(d_cross.data(), n_references, d_image_norm.data(),
                                                                 d_slice_norm.data(), options.scaled, d_best.data(),
                                                                 d_distance.data());
    cuda::check(cudaGetLastError(), "nearest_reference");
    cuda::check(cudaMemcpy(result.best.data() + first, d_best.data(), rows * sizeof(unsigned),
                           cudaMemcpyDeviceToHost),
                "cudaMemcpy best");
    cuda::check(cudaMemcpy(result.distance.data() + first, d_distance.data(), rows * sizeof(float),
                           cudaMemcpyDeviceToHost),
                "cudaMemcpy distance");
  }
  return result;
}

}  // namespace
}  // namespace xpulse::spi

// The module's entry point (spi::CudaMatchFunction).
extern "C" xpulse::spi::MatchResult xpulse_cuda_match_orientations(const float* images, std::size_t n_images,
                                                                  const float* slices, std::size_t n_references,
                                                                  std::size_t pixels,
                                                                  const xpulse::spi::MatchOptions& options, int device) {
  return xpulse::spi::match_on_device(images, n_images, slices, n_references, pixels, options, device);
}
