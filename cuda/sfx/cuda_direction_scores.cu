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

// sfx::CudaDirectionScores's work on the device.
class DeviceDirectionScores final : public CudaDirectionScores::Backend {
 public:
  explicit DeviceDirectionScores(int device) : device_(device) {
    int count = 0;
    cuda::check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    if (device < 0 || device >= count) throw InputError("no CUDA device " + std::to_string(device));
  }

  std::vector<double> scores(const ScorePeaks& peaks, double length, std::size_t n) override {
    const cuda::DeviceScope scope(device_);
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

 private:
  int device_ = 0;
};

}  // namespace
}  // namespace xpulse::sfx

// The module's entry point (sfx::CudaDirectionScores::Factory).
extern "C" std::unique_ptr<xpulse::sfx::CudaDirectionScores::Backend> xpulse_cuda_direction_scores(int device) {
  return std::make_unique<xpulse::sfx::DeviceDirectionScores>(device);
}
