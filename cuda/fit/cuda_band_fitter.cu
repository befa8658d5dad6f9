// CUDA backend of BandFitter: one thread per pixel runs pixel_fit.h (normalise, seed by linear prediction,
// Levenberg-Marquardt, classify), the code the reference backend runs on the host.
//
// Data path: a band [delay][rows][nx] is cut into blocks of pixels sized from the card's free memory. Each GPU
// has two slots (stream + device buffers + pinned result buffers); block b goes to GPU b % G and alternates
// between that GPU's slots, so the copy of one block to the device, the kernel of the previous one and the copy
// back of the one before overlap. One launch per block; no per-pixel or per-tile launches. The pipeline reads
// the next band into the other pinned band buffer meanwhile.
#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "../common/cuda_check.h"
#include "kernel_timing.h"
#include "fit/band_fitter.h"
#include "fit/damped_cosine.h"
#include "fit/damped_cosine_exp.h"
#include "fit/pixel_fit.h"
#include "fit/pixel_fit_tables.h"
#include "../common/device_info.h"

namespace xpulse::fit {
namespace {

using cuda::check;
using cuda::DeviceArray;
using cuda::DeviceScope;
using cuda::PinnedArray;

constexpr int kThreadsPerBlock = 128;
constexpr std::size_t kMaxBlockPixels = std::size_t{1} << 21;  // 2 Mpx: enough to fill any GPU
constexpr double kMemoryFraction = 0.4;                          // of the free device memory, for both slots

struct DeviceResults {  // structure of arrays, rows of `capacity`
  float* value;         // [P][capacity]
  float* std_error;     // [P][capacity]
  float* chi2;
  std::uint8_t* status;
  std::uint16_t* iterations;
  std::uint8_t* fitted;
  std::size_t capacity;
};

// Pixel i of the block: its trace is data[k * count + i] (delay-major, as the file stores it).
template <class Model>
__global__ void fit_pixels_kernel(Model model, PixelFitConstants constants, float* data, std::size_t count,
                                  const std::uint8_t* mask, DeviceResults out) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const PixelResult r = fit_pixel(model, constants, StridedTrace{data + i, count}, mask[i] != 0);
  for (int a = 0; a < Model::kParams; ++a) {
    out.value[a * out.capacity + i] = r.value[a];
    out.std_error[a * out.capacity + i] = r.std_error[a];
  }
  out.chi2[i] = r.chi2_reduced;
  out.status[i] = r.status;
  out.iterations[i] = r.iterations;
  out.fitted[i] = r.fitted ? 1 : 0;
}

// Per-pixel results of a block in structure-of-arrays form, on the device or in pinned host memory.
template <template <class> class Array>
struct Results {
  Array<float> value, std_error;  // [P][capacity]
  Array<float> chi2;
  Array<std::uint8_t> status, fitted;
  Array<std::uint16_t> iterations;

  Results() = default;
  Results(std::size_t parameters, std::size_t capacity)
      : value(parameters * capacity), std_error(parameters * capacity), chi2(capacity), status(capacity),
        fitted(capacity), iterations(capacity) {}
};

// One stream with the device and pinned host buffers for a block of pixels in flight.
struct Slot {
  cudaStream_t stream = nullptr;
  DeviceArray<float> data;
  DeviceArray<std::uint8_t> mask;
  PinnedArray<std::uint8_t> host_mask;
  Results<DeviceArray> device;
  Results<PinnedArray> host;
  bool busy = false;
  std::size_t first_pixel = 0;  // detector index of the block's first pixel
  std::size_t count = 0;
};

template <class T>
DeviceArray<T> upload(const std::vector<T>& host) {
  DeviceArray<T> d(host.size());
  if (!host.empty()) check(cudaMemcpy(d.data(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
  return d;
}

// PixelFitTables copied to the current device, and the constants pointing there.
struct DeviceTables {
  DeviceArray<double> t;
  DeviceArray<int> left;
  DeviceArray<float> weight, twiddle_cos, twiddle_sin;
  DeviceArray<std::uint8_t> step_index;
  PixelFitConstants constants;

  explicit DeviceTables(const PixelFitTables& tables)
      : t(upload(tables.t)), left(upload(tables.grid.left)), weight(upload(tables.grid.weight)),
        twiddle_cos(upload(tables.grid.twiddle_cos)), twiddle_sin(upload(tables.grid.twiddle_sin)),
        step_index(upload(tables.steps.index)), constants(tables.scalars) {
    constants.t = t.data();
    constants.left = left.data();
    constants.weight = weight.data();
    constants.twiddle_cos = twiddle_cos.data();
    constants.twiddle_sin = twiddle_sin.data();
    constants.step_index = tables.steps.usable() ? step_index.data() : nullptr;
  }
};

struct Gpu {
  int id = 0;
  std::string name;
  std::unique_ptr<DeviceTables> tables;
  std::size_t capacity = 0;  // pixels per block
  Slot slots[2];

  ~Gpu() {
    cudaSetDevice(id);
    for (Slot& s : slots) {
      if (s.stream != nullptr) {
        cudaStreamSynchronize(s.stream);
        cudaStreamDestroy(s.stream);
      }
    }
  }
};

DeviceResults view(const Results<DeviceArray>& r, std::size_t capacity) {
  return DeviceResults{r.value.data(),      r.std_error.data(), r.chi2.data(), r.status.data(),
                       r.iterations.data(), r.fitted.data(),    capacity};
}

template <class Model>
class CudaBandFitter final : public BandFitter {
 public:
  static constexpr int P = Model::kParams;

  CudaBandFitter(const FitProblem& problem, const FitOptions& options, const std::vector<int>& gpus)
      : tables_(PixelFitTables::make(problem, options)), n_(problem.t.size()) {
    model_.max_frequency = tables_.scalars.max_frequency;
    if constexpr (P == DampedCosineExp::kParams) model_.min_tau = tables_.scalars.min_tau;
    for (int id : gpus) {
      auto g = std::make_unique<Gpu>();
      g->id = id;
      g->name = cuda::device_name(id);
      DeviceScope scope(id);
      g->tables = std::make_unique<DeviceTables>(tables_);
      std::size_t free_bytes = 0, total_bytes = 0;
      check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
      const std::size_t per_pixel = n_ * sizeof(float) + 1 + 2 * P * sizeof(float) + sizeof(float) + 2 + 2;
      const auto budget = static_cast<std::size_t>(kMemoryFraction * static_cast<double>(free_bytes)) / 2;
      g->capacity = std::clamp<std::size_t>(budget / per_pixel, kThreadsPerBlock, kMaxBlockPixels);
      for (Slot& s : g->slots) {
        check(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking), "cudaStreamCreate");
        const std::size_t c = g->capacity;
        s.data = DeviceArray<float>(n_ * c);
        s.mask = DeviceArray<std::uint8_t>(c);
        s.host_mask = PinnedArray<std::uint8_t>(c);
        s.device = Results<DeviceArray>(P, c);
        s.host = Results<PinnedArray>(P, c);
      }
      gpus_.push_back(std::move(g));
    }
  }

  std::size_t fit(const Band& band, const std::uint8_t* mask, FitMaps& maps,
                  const std::function<void(std::size_t)>& on_pixels) override {
    if (band.weights != nullptr) throw std::logic_error("the CUDA fit backend takes no per-point weights");
    const std::size_t pixels = band.rows * band.nx;
    std::size_t capacity = kMaxBlockPixels;
    for (const auto& g : gpus_) capacity = std::min(capacity, g->capacity);
    const std::size_t blocks = (pixels + capacity - 1) / capacity;
    const std::size_t first_detector_pixel = band.y0 * band.nx;
    std::size_t fitted = 0;
    auto drain = [&](Gpu& g, Slot& s) {
      if (!s.busy) return;
      DeviceScope scope(g.id);
      check(cudaStreamSynchronize(s.stream), "fit kernel");
      for (std::size_t i = 0; i < s.count; ++i) {
        const std::size_t pixel = s.first_pixel + i;
        for (int a = 0; a < P; ++a) {
          maps.value[static_cast<std::size_t>(a)][pixel] = s.host.value.data()[a * g.capacity + i];
          maps.std_error[static_cast<std::size_t>(a)][pixel] = s.host.std_error.data()[a * g.capacity + i];
        }
        maps.chi2_reduced[pixel] = s.host.chi2.data()[i];
        maps.status[pixel] = s.host.status.data()[i];
        maps.iterations[pixel] = s.host.iterations.data()[i];
        fitted += s.host.fitted.data()[i];
      }
      s.busy = false;
      if (on_pixels) on_pixels(s.count);
    };

    for (std::size_t b = 0; b < blocks; ++b) {
      Gpu& g = *gpus_[b % gpus_.size()];
      Slot& s = g.slots[(b / gpus_.size()) % 2];
      drain(g, s);
      DeviceScope scope(g.id);
      const std::size_t p0 = b * capacity;
      const std::size_t count = std::min(capacity, pixels - p0);
      // The block's traces, delay-major: n rows of `count` floats out of rows of `pixels` floats.
      check(cudaMemcpy2DAsync(s.data.data(), count * sizeof(float), band.data + p0, pixels * sizeof(float),
                              count * sizeof(float), n_, cudaMemcpyHostToDevice, s.stream),
            "copy of a block to the device");
      if (mask != nullptr) {
        std::memcpy(s.host_mask.data(), mask + first_detector_pixel + p0, count);
      } else {
        std::memset(s.host_mask.data(), 0, count);
      }
      check(cudaMemcpyAsync(s.mask.data(), s.host_mask.data(), count, cudaMemcpyHostToDevice, s.stream),
            "copy of the mask to the device");
      const auto grid = static_cast<unsigned>((count + kThreadsPerBlock - 1) / kThreadsPerBlock);
      fit_pixels_kernel<Model><<<grid, kThreadsPerBlock, 0, s.stream>>>(
          model_, g.tables->constants, s.data.data(), count, s.mask.data(), view(s.device, g.capacity));
      check(cudaGetLastError(), "launch of the fit kernel");
      const std::size_t row = count * sizeof(float), pitch = g.capacity * sizeof(float);
      const char* back = "copy of the results to the host";
      check(cudaMemcpy2DAsync(s.host.value.data(), pitch, s.device.value.data(), pitch, row, P,
                              cudaMemcpyDeviceToHost, s.stream), back);
      check(cudaMemcpy2DAsync(s.host.std_error.data(), pitch, s.device.std_error.data(), pitch, row, P,
                              cudaMemcpyDeviceToHost, s.stream), back);
      check(cudaMemcpyAsync(s.host.chi2.data(), s.device.chi2.data(), row, cudaMemcpyDeviceToHost, s.stream), back);
      check(cudaMemcpyAsync(s.host.status.data(), s.device.status.data(), count, cudaMemcpyDeviceToHost, s.stream),
            back);
      check(cudaMemcpyAsync(s.host.fitted.data(), s.device.fitted.data(), count, cudaMemcpyDeviceToHost, s.stream),
            back);
      check(cudaMemcpyAsync(s.host.iterations.data(), s.device.iterations.data(), count * sizeof(std::uint16_t),
                            cudaMemcpyDeviceToHost, s.stream), back);
      s.busy = true;
      s.first_pixel = first_detector_pixel + p0;
      s.count = count;
    }
    for (auto& g : gpus_) {
      for (Slot& s : g->slots) drain(*g, s);
    }
    return fitted;
  }

  runtime::HostBuffer allocate_host(std::size_t floats) override {
    DeviceScope scope(gpus_.front()->id);
    float* p = nullptr;
    check(cudaMallocHost(reinterpret_cast<void**>(&p), std::max<std::size_t>(floats, 1) * sizeof(float)),
          "cudaMallocHost");
    return runtime::HostBuffer(p, floats, [](float* q) { cudaFreeHost(q); });
  }

  runtime::Device device() const override { return runtime::Device::cuda; }

  std::string describe() const override {
    std::string s = "cuda:";
    for (const auto& g : gpus_) {
      s += " GPU " + std::to_string(g->id) + " " + g->name + (&g == &gpus_.back() ? "" : ",");
    }
    return s + " (" + std::to_string(gpus_.front()->capacity) + " px per block)";
  }

 private:
  PixelFitTables tables_;
  std::size_t n_;
  Model model_;
  std::vector<std::unique_ptr<Gpu>> gpus_;
};

template <class Model>
KernelTiming time_kernel(Model model, const FitProblem& problem, const FitOptions& options, const float* data,
                         std::size_t pixels, int device) {
  DeviceScope scope(device);
  const PixelFitTables tables = PixelFitTables::make(problem, options);
  model.max_frequency = tables.scalars.max_frequency;
  if constexpr (Model::kParams == DampedCosineExp::kParams) model.min_tau = tables.scalars.min_tau;
  const DeviceTables on_device(tables);
  const std::size_t n = problem.t.size();
  DeviceArray<float> d_data(n * pixels);
  DeviceArray<std::uint8_t> mask(pixels);
  const Results<DeviceArray> results(Model::kParams, pixels);
  check(cudaMemcpy(d_data.data(), data, n * pixels * sizeof(float), cudaMemcpyHostToDevice), "cudaMemcpy");
  check(cudaMemset(mask.data(), 0, pixels), "cudaMemset");
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");
  const auto grid = static_cast<unsigned>((pixels + kThreadsPerBlock - 1) / kThreadsPerBlock);
  check(cudaEventRecord(start), "cudaEventRecord");
  fit_pixels_kernel<Model><<<grid, kThreadsPerBlock>>>(model, on_device.constants, d_data.data(), pixels,
                                                       mask.data(), view(results, pixels));
  check(cudaGetLastError(), "launch of the fit kernel");
  check(cudaEventRecord(stop), "cudaEventRecord");
  check(cudaEventSynchronize(stop), "fit kernel");
  float ms = 0.0f;
  check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::vector<std::uint8_t> host_fitted(pixels);
  check(cudaMemcpy(host_fitted.data(), results.fitted.data(), pixels, cudaMemcpyDeviceToHost), "cudaMemcpy");
  KernelTiming timing;
  timing.seconds = ms * 1e-3;
  for (auto f : host_fitted) timing.fitted += f;
  return timing;
}

}  // namespace

}  // namespace xpulse::fit

// The module's entry point for benchmarks (fit::TimeFitKernel).
extern "C" xpulse::fit::KernelTiming xpulse_cuda_time_fit_kernel(const xpulse::fit::FitProblem& problem,
                                                                const xpulse::fit::FitOptions& options,
                                                                const float* data, std::size_t pixels, int device) {
  using namespace xpulse::fit;
  if (options.model == ModelKind::damped_cosine) return time_kernel(DampedCosine{}, problem, options, data, pixels, device);
  return time_kernel(DampedCosineExp{}, problem, options, data, pixels, device);
}

// The module's entry point (fit::CudaBandFitterFactory).
extern "C" std::unique_ptr<xpulse::fit::BandFitter> xpulse_cuda_band_fitter(const xpulse::fit::FitProblem& problem,
                                                                            const xpulse::fit::FitOptions& options,
                                                                            const std::vector<int>& gpus) {
  using namespace xpulse::fit;
  if (options.model == ModelKind::damped_cosine) {
    return std::make_unique<CudaBandFitter<DampedCosine>>(problem, options, gpus);
  }
  return std::make_unique<CudaBandFitter<DampedCosineExp>>(problem, options, gpus);
}
