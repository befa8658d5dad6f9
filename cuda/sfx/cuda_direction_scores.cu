#include <cuda_runtime.h>

#include "../common/cuda_check.h"
#include "sfx/direction_scores.h"

namespace xpulse::sfx {
namespace {

constexpr int kThreads = 256;

// Direction blockIdx.x * blockDim.x + threadIdx.x: the same arithmetic as direction_scores() on the host (built
// with --fmad=false, as the host twin without contraction).
__global__ void score_directions(const float* x, const float* y, const float* z, std::size_t m, double length,
                                 std::size_t n, double* out) {
  const std::size_t d = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (d >= n) return;
  double tx = 0, ty = 0, tz = 0;
  fibonacci_direction(d, n, tx, ty, tz);
  const float wx = static_cast<float>(length * tx), wy = static_cast<float>(length * ty),
              wz = static_cast<float>(length * tz);
  double total = 0;
  for (std::size_t i = 0; i < m; ++i) total += cos_two_pi(wx * x[i] + wy * y[i] + wz * z[i]);
  out[d] = total;
}

}  // namespace

struct CudaDirectionScores::Impl {
  int device = 0;
};

CudaDirectionScores::CudaDirectionScores(int device) : impl_(std::make_unique<Impl>()) {
  int count = 0;
  cuda::check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  if (device < 0 || device >= count) throw InputError("no CUDA device " + std::to_string(device));
  impl_->device = device;
}

CudaDirectionScores::~CudaDirectionScores() = default;

std::vector<double> CudaDirectionScores::scores(const ScorePeaks& peaks, double length, std::size_t n) {
  const cuda::DeviceScope scope(impl_->device);
  const std::size_t m = peaks.x.size();
  cuda::DeviceArray<float> x(m), y(m), z(m);
  cuda::DeviceArray<double> out(n);
  for (auto [device, host] : {std::pair{&x, &peaks.x}, std::pair{&y, &peaks.y}, std::pair{&z, &peaks.z}}) {
    if (m > 0) {
      cuda::check(cudaMemcpy(device->data(), host->data(), m * sizeof(float), cudaMemcpyHostToDevice),
                  "cudaMemcpy (peaks)");
    }
  }
  std::vector<double> scores(n);
  if (n == 0) return scores;
  const unsigned blocks = static_cast<unsigned>((n + kThreads - 1) / kThreads);
  score_directions<<<blocks, kThreads>>>(x.data(), y.data(), z.data(), m, length, n, out.data());
  cuda::check(cudaGetLastError(), "score_directions");
  cuda::check(cudaMemcpy(scores.data(), out.data(), n * sizeof(double), cudaMemcpyDeviceToHost),
              "cudaMemcpy (scores)");
  return scores;
}

}  // namespace xpulse::sfx
