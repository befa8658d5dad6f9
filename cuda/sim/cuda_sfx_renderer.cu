#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "../common/cuda_check.h"
#include "sim/cuda_sfx_renderer.h"
#include "sim/detector_noise.h"
#include "sim/sfx_spot_profile.h"

namespace xpulse::sim {
namespace {

constexpr int kThreads = 256;
constexpr long kBin = 16;  // pixels per side of the bins that list the spots reaching them

struct DeviceSpot {
  double x, y, photons;
  long x0, y0;  // the pixel nearest the centre, as the CPU rounds it
};

// Pixel blockIdx.x * blockDim.x + threadIdx.x of frame blockIdx.y: the background plus the spots of its bin that
// reach it, in the frame's spot order, then its noise (render_sfx_frame's arithmetic, operation by operation).
__global__ void render_pixels(const float* background, const unsigned char* mask, long ny, long nx, long bins_x,
                              std::size_t bins, const DeviceSpot* spots, const unsigned* bin_start,
                              const unsigned* bin_spots, double sigma, long radius, DetectorNoise detector,
                              unsigned long long seed, unsigned long long first_frame, float* out) {
  const std::size_t pixels = static_cast<std::size_t>(ny) * static_cast<std::size_t>(nx);
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= pixels) return;
  const std::size_t f = blockIdx.y;
  float* frame = out + f * pixels;
  if (mask[i]) {
    frame[i] = 0.0f;
    return;
  }
  const long y = static_cast<long>(i / static_cast<std::size_t>(nx)), x = static_cast<long>(i % static_cast<std::size_t>(nx));
  float expected = background[i];
  const std::size_t b = f * bins + static_cast<std::size_t>((y / kBin) * bins_x + x / kBin);
  for (unsigned k = bin_start[b]; k < bin_start[b + 1]; ++k) {
    const DeviceSpot s = spots[bin_spots[k]];
    if (labs(x - s.x0) > radius || labs(y - s.y0) > radius) continue;
    expected += spot_share(s.photons, pixel_share(s.y, sigma, y), pixel_share(s.x, sigma, x));
  }
  frame[i] = detector_adu(expected, detector, seed, first_frame + f, static_cast<std::uint32_t>(i));
}

}  // namespace

// sim::CudaSfxRenderer's work on the device.
class DeviceSfxRenderer final : public CudaSfxRenderer::Backend {
 public:
  DeviceSfxRenderer(const SfxScene& scene, const SfxOptions& options, std::size_t max_batch, int device);
  const float* render_on_device(std::size_t first_frame, std::span<const SfxFrameTruth> frames) override;
  void render(std::size_t first_frame, std::span<const SfxFrameTruth> frames, float* out) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct DeviceSfxRenderer::Impl {
  int device = 0;
  long ny = 0, nx = 0, bins_x = 0, bins_y = 0, radius = 0;
  std::size_t max_batch = 0;
  double sigma = 0;
  DetectorNoise detector;
  std::uint64_t seed = 0;
  cuda::DeviceArray<float> background, frames;
  cuda::DeviceArray<unsigned char> mask;
  cuda::DeviceArray<unsigned> bin_start;
  cuda::DeviceArray<unsigned> bin_spots;  // grown as needed
  cuda::DeviceArray<DeviceSpot> spots;    // grown as needed
};

DeviceSfxRenderer::DeviceSfxRenderer(const SfxScene& scene, const SfxOptions& options, std::size_t max_batch, int device)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.device = device;
  m.ny = static_cast<long>(scene.ny), m.nx = static_cast<long>(scene.nx);
  m.bins_x = (m.nx + kBin - 1) / kBin, m.bins_y = (m.ny + kBin - 1) / kBin;
  m.max_batch = std::max<std::size_t>(1, std::min<std::size_t>(max_batch, 65535));
  m.sigma = options.spot_sigma_px;
  m.radius = spot_radius(options.spot_sigma_px);
  m.detector = sfx_detector_noise(options);
  m.seed = options.seed;
  const std::size_t pixels = scene.ny * scene.nx;
  const cuda::DeviceScope scope(device);
  m.background = cuda::DeviceArray<float>(pixels);
  m.mask = cuda::DeviceArray<unsigned char>(pixels);
  m.frames = cuda::DeviceArray<float>(m.max_batch * pixels);
  m.bin_start = cuda::DeviceArray<unsigned>(m.max_batch * static_cast<std::size_t>(m.bins_x * m.bins_y) + 1);
  cuda::check(cudaMemcpy(m.background.data(), scene.background.data(), pixels * sizeof(float), cudaMemcpyHostToDevice),
              "cudaMemcpy (background)");
  cuda::check(cudaMemcpy(m.mask.data(), scene.mask.data(), pixels, cudaMemcpyHostToDevice), "cudaMemcpy (mask)");
}

const float* DeviceSfxRenderer::render_on_device(std::size_t first_frame, std::span<const SfxFrameTruth> frames) {
  Impl& m = *impl_;
  const std::size_t count = frames.size();
  if (count > m.max_batch) {
    throw Error("CudaSfxRenderer: " + std::to_string(count) + " frames in a batch of at most " +
                std::to_string(m.max_batch));
  }
  if (count == 0) return m.frames.data();
  // Each spot into every bin its footprint touches, frame by frame and in spot order (CSR over frame x bin).
  const std::size_t bins = static_cast<std::size_t>(m.bins_x * m.bins_y);
  std::vector<DeviceSpot> spots;
  std::vector<unsigned> start(count * bins + 1, 0), members;
  auto each_bin = [&](const DeviceSpot& s, auto&& visit) {
    const long x_lo = std::max(0L, s.x0 - m.radius), x_hi = std::min(m.nx - 1, s.x0 + m.radius);
    const long y_lo = std::max(0L, s.y0 - m.radius), y_hi = std::min(m.ny - 1, s.y0 + m.radius);
    if (x_lo > x_hi || y_lo > y_hi) return;
    for (long by = y_lo / kBin; by <= y_hi / kBin; ++by)
      for (long bx = x_lo / kBin; bx <= x_hi / kBin; ++bx) visit(static_cast<std::size_t>(by * m.bins_x + bx));
  };
  std::vector<std::size_t> first_spot(count + 1, 0);
  for (std::size_t f = 0; f < count; ++f) {
    for (const SfxSpot& p : frames[f].spots) spots.push_back({p.x, p.y, p.photons, std::lround(p.x), std::lround(p.y)});
    first_spot[f + 1] = spots.size();
    for (std::size_t s = first_spot[f]; s < first_spot[f + 1]; ++s) {
      each_bin(spots[s], [&](std::size_t b) { ++start[f * bins + b + 1]; });
    }
  }
  for (std::size_t b = 0; b < count * bins; ++b) start[b + 1] += start[b];
  members.resize(start.back());
  std::vector<unsigned> fill(start.begin(), start.end() - 1);
  for (std::size_t f = 0; f < count; ++f) {
    for (std::size_t s = first_spot[f]; s < first_spot[f + 1]; ++s) {
      each_bin(spots[s], [&](std::size_t b) { members[fill[f * bins + b]++] = static_cast<unsigned>(s); });
    }
  }

  const cuda::DeviceScope scope(m.device);
  if (m.spots.size() < std::max<std::size_t>(1, spots.size())) m.spots = cuda::DeviceArray<DeviceSpot>(std::max<std::size_t>(1, spots.size()));
  if (m.bin_spots.size() < std::max<std::size_t>(1, members.size())) {
    m.bin_spots = cuda::DeviceArray<unsigned>(std::max<std::size_t>(1, members.size()));
  }
  if (!spots.empty()) {
    cuda::check(cudaMemcpy(m.spots.data(), spots.data(), spots.size() * sizeof(DeviceSpot), cudaMemcpyHostToDevice),
                "cudaMemcpy (spots)");
    cuda::check(cudaMemcpy(m.bin_spots.data(), members.data(), members.size() * sizeof(unsigned), cudaMemcpyHostToDevice),
                "cudaMemcpy (spot bins)");
  }
  cuda::check(cudaMemcpy(m.bin_start.data(), start.data(), start.size() * sizeof(unsigned), cudaMemcpyHostToDevice),
              "cudaMemcpy (bin starts)");
  const std::size_t pixels = static_cast<std::size_t>(m.ny * m.nx);
  const dim3 grid(static_cast<unsigned>((pixels + kThreads - 1) / kThreads), static_cast<unsigned>(count));
  render_pixels<<<grid, kThreads>>>(m.background.data(), m.mask.data(), m.ny, m.nx, m.bins_x, bins, m.spots.data(),
                                    m.bin_start.data(), m.bin_spots.data(), m.sigma, m.radius, m.detector, m.seed,
                                    first_frame, m.frames.data());
  cuda::check(cudaGetLastError(), "render_pixels");
  cuda::check(cudaDeviceSynchronize(), "render_pixels");
  return m.frames.data();
}

void DeviceSfxRenderer::render(std::size_t first_frame, std::span<const SfxFrameTruth> frames, float* out) {
  const float* device_frames = render_on_device(first_frame, frames);
  const cuda::DeviceScope scope(impl_->device);
  const std::size_t bytes = frames.size() * static_cast<std::size_t>(impl_->ny * impl_->nx) * sizeof(float);
  cuda::check(cudaMemcpy(out, device_frames, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy (frames)");
}

}  // namespace xpulse::sim

// The module's entry point (sim::CudaSfxRenderer::Factory).
extern "C" std::unique_ptr<xpulse::sim::CudaSfxRenderer::Backend> xpulse_cuda_sfx_renderer(
    const xpulse::sim::SfxScene& scene, const xpulse::sim::SfxOptions& options, std::size_t max_batch, int device) {
  return std::make_unique<xpulse::sim::DeviceSfxRenderer>(scene, options, max_batch, device);
}
