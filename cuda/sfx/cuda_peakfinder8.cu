#include <algorithm>
#include <string>

#include <cuda_runtime.h>

#include "../common/cuda_check.h"
#include "sfx/cuda_peakfinder8.h"

namespace xpulse::sfx {
namespace {

constexpr int kThreads = 256;

// Step 1 for bin blockIdx.x * blockDim.x + threadIdx.x of frame blockIdx.y: the candidate limit
// max(threshold, mean + min_snr sigma) after 5 clipping rounds. The bin's pixels are added in scan order with
// explicitly rounded operations (no FMA contraction), exactly as PeakFinder8::candidates does on the CPU.
__global__ void radial_limits(const float* frames, std::size_t pixels, const unsigned* bin_start,
                              const unsigned* bin_pixels, unsigned bins, double min_snr, double threshold,
                              double* limit) {
  const unsigned b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= bins) return;
  const float* frame = frames + static_cast<std::size_t>(blockIdx.y) * pixels;
  const unsigned begin = bin_start[b], end = bin_start[b + 1];
  double full_sum = 0, full_sum2 = 0, full_count = 0;
  for (unsigned k = begin; k < end; ++k) {
    const double v = frame[bin_pixels[k]];
    full_sum = __dadd_rn(full_sum, v);
    full_sum2 = __dadd_rn(full_sum2, __dmul_rn(v, v));
    full_count = __dadd_rn(full_count, 1.0);
  }
  const double infinity = 1.0 / 0.0;
  double cutoff = infinity, mean = 0, sigma = 0;
  for (int round = 0; round < 5; ++round) {
    double sum = full_sum, sum2 = full_sum2, count = full_count;
    if (round > 0) {
      for (unsigned k = begin; k < end; ++k) {
        const double v = frame[bin_pixels[k]];
        if (v < cutoff) continue;
        sum = __dsub_rn(sum, v);
        sum2 = __dsub_rn(sum2, __dmul_rn(v, v));
        count = __dsub_rn(count, 1.0);
      }
    }
    if (count <= 0) {
      mean = 0, sigma = 0, cutoff = infinity;
      continue;
    }
    mean = __ddiv_rn(sum, count);
    sigma = sqrt(fmax(0.0, __dsub_rn(__ddiv_rn(sum2, count), __dmul_rn(mean, mean))));
    cutoff = __dadd_rn(mean, __dmul_rn(min_snr, sigma));
  }
  limit[static_cast<std::size_t>(blockIdx.y) * bins + b] = fmax(threshold, __dadd_rn(mean, __dmul_rn(min_snr, sigma)));
}

// Step 2 for pixel blockIdx.x * blockDim.x + threadIdx.x of frame blockIdx.y: appended (in no particular order)
// to the frame's list when unmasked, finite and above its bin's limit.
__global__ void candidate_pixels(const float* frames, std::size_t pixels, const unsigned char* mask,
                                 const unsigned* radius, unsigned bins, const double* limit, unsigned* count,
                                 unsigned* out) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= pixels || mask[i]) return;
  const std::size_t f = blockIdx.y;
  const float v = frames[f * pixels + i];
  if (!isfinite(v)) return;
  if (static_cast<double>(v) > limit[f * bins + radius[i]]) {
    const unsigned slot = atomicAdd(&count[f], 1u);
    out[f * pixels + slot] = static_cast<unsigned>(i);
  }
}

}  // namespace

// sfx::CudaPeakFinder8's work on the device.
class DevicePeakFinder8 final : public CudaPeakFinder8::Backend {
 public:
  DevicePeakFinder8(const PeakFinder8& finder, std::size_t max_batch, int device);
  std::vector<std::vector<std::uint32_t>> candidates(const float* frames, std::size_t count) override;
  std::vector<std::vector<std::uint32_t>> candidates_on_device(const float* frames, std::size_t count) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct DevicePeakFinder8::Impl {
  int device = 0;
  std::size_t pixels = 0, max_batch = 0;
  unsigned bins = 0;
  double min_snr = 0, threshold = 0;
  cuda::DeviceArray<unsigned> bin_start, bin_pixels, radius, count, out;
  cuda::DeviceArray<unsigned char> mask;
  cuda::DeviceArray<float> frames;
  cuda::DeviceArray<double> limit;
};

DevicePeakFinder8::DevicePeakFinder8(const PeakFinder8& finder, std::size_t max_batch, int device)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.device = device;
  m.pixels = finder.ny() * finder.nx();
  m.max_batch = std::max<std::size_t>(1, std::min<std::size_t>(max_batch, 65535));
  m.bins = static_cast<unsigned>(finder.bins());
  m.min_snr = finder.options().min_snr;
  m.threshold = finder.options().threshold;
  // The unmasked pixels of each radius bin, in scan order (CSR).
  const auto& radius = finder.radius_bins();
  const auto& mask = finder.mask();
  std::vector<unsigned> start(m.bins + 1, 0), pixels_of_bins;
  for (std::size_t i = 0; i < m.pixels; ++i) {
    if (!mask[i]) ++start[radius[i] + 1];
  }
  for (unsigned b = 0; b < m.bins; ++b) start[b + 1] += start[b];
  pixels_of_bins.resize(start[m.bins]);
  std::vector<unsigned> fill(start.begin(), start.end() - 1);
  for (std::size_t i = 0; i < m.pixels; ++i) {
    if (!mask[i]) pixels_of_bins[fill[radius[i]]++] = static_cast<unsigned>(i);
  }
  const cuda::DeviceScope scope(device);
  m.bin_start = cuda::DeviceArray<unsigned>(start.size());
  m.bin_pixels = cuda::DeviceArray<unsigned>(std::max<std::size_t>(1, pixels_of_bins.size()));
  m.radius = cuda::DeviceArray<unsigned>(m.pixels);
  m.mask = cuda::DeviceArray<unsigned char>(m.pixels);
  m.frames = cuda::DeviceArray<float>(m.max_batch * m.pixels);
  m.limit = cuda::DeviceArray<double>(m.max_batch * m.bins);
  m.count = cuda::DeviceArray<unsigned>(m.max_batch);
  m.out = cuda::DeviceArray<unsigned>(m.max_batch * m.pixels);
  cuda::check(cudaMemcpy(m.bin_start.data(), start.data(), start.size() * sizeof(unsigned), cudaMemcpyHostToDevice),
              "cudaMemcpy (bins)");
  cuda::check(cudaMemcpy(m.bin_pixels.data(), pixels_of_bins.data(), pixels_of_bins.size() * sizeof(unsigned),
                         cudaMemcpyHostToDevice),
              "cudaMemcpy (bin pixels)");
  cuda::check(cudaMemcpy(m.radius.data(), radius.data(), m.pixels * sizeof(unsigned), cudaMemcpyHostToDevice),
              "cudaMemcpy (radius)");
  cuda::check(cudaMemcpy(m.mask.data(), mask.data(), m.pixels, cudaMemcpyHostToDevice), "cudaMemcpy (mask)");
}

std::vector<std::vector<std::uint32_t>> DevicePeakFinder8::candidates(const float* frames, std::size_t count) {
  Impl& m = *impl_;
  if (count > m.max_batch) {
    throw Error("CudaPeakFinder8: " + std::to_string(count) + " frames in a batch of at most " +
                std::to_string(m.max_batch));
  }
  if (count == 0) return {};
  const cuda::DeviceScope scope(m.device);
  cuda::check(cudaMemcpy(m.frames.data(), frames, count * m.pixels * sizeof(float), cudaMemcpyHostToDevice),
              "cudaMemcpy (frames)");
  return candidates_on_device(m.frames.data(), count);
}

std::vector<std::vector<std::uint32_t>> DevicePeakFinder8::candidates_on_device(const float* frames, std::size_t count) {
  Impl& m = *impl_;
  if (count > m.max_batch) {
    throw Error("CudaPeakFinder8: " + std::to_string(count) + " frames in a batch of at most " +
                std::to_string(m.max_batch));
  }
  std::vector<std::vector<std::uint32_t>> result(count);
  if (count == 0) return result;
  const cuda::DeviceScope scope(m.device);
  cuda::check(cudaMemset(m.count.data(), 0, count * sizeof(unsigned)), "cudaMemset");
  const dim3 bins_grid((m.bins + kThreads - 1) / kThreads, static_cast<unsigned>(count));
  radial_limits<<<bins_grid, kThreads>>>(frames, m.pixels, m.bin_start.data(), m.bin_pixels.data(), m.bins,
                                         m.min_snr, m.threshold, m.limit.data());
  cuda::check(cudaGetLastError(), "radial_limits");
  const dim3 pixels_grid(static_cast<unsigned>((m.pixels + kThreads - 1) / kThreads), static_cast<unsigned>(count));
  candidate_pixels<<<pixels_grid, kThreads>>>(frames, m.pixels, m.mask.data(), m.radius.data(), m.bins,
                                              m.limit.data(), m.count.data(), m.out.data());
  cuda::check(cudaGetLastError(), "candidate_pixels");
  std::vector<unsigned> counts(count);
  cuda::check(cudaMemcpy(counts.data(), m.count.data(), count * sizeof(unsigned), cudaMemcpyDeviceToHost),
              "cudaMemcpy (candidate counts)");
  for (std::size_t f = 0; f < count; ++f) {
    result[f].resize(counts[f]);
    if (counts[f] == 0) continue;
    cuda::check(cudaMemcpy(result[f].data(), m.out.data() + f * m.pixels, counts[f] * sizeof(unsigned),
                           cudaMemcpyDeviceToHost),
                "cudaMemcpy (candidates)");
    std::sort(result[f].begin(), result[f].end());  // the kernel appends in no particular order
  }
  return result;
}

}  // namespace xpulse::sfx

// The module's entry point (sfx::CudaPeakFinder8::Factory).
extern "C" std::unique_ptr<xpulse::sfx::CudaPeakFinder8::Backend> xpulse_cuda_peakfinder8(
    const xpulse::sfx::PeakFinder8& finder, std::size_t max_batch, int device) {
  return std::make_unique<xpulse::sfx::DevicePeakFinder8>(finder, max_batch, device);
}
