#include "fit/band_fitter.h"

#include <fmt/format.h>

#include "core/error.h"
#include "runtime/thread_pool.h"

namespace xpulse::fit {
namespace {

class CpuBandFitter final : public BandFitter {
 public:
  CpuBandFitter(const FitProblem& problem, const FitOptions& options, const BandFitterOptions& backend,
                std::string note)
      : backend_(backend), note_(std::move(note)), pool_(backend.threads) {
    for (unsigned w = 0; w < pool_.size(); ++w) fitters_.push_back(TileFitter::create_cpu(problem, options));
  }

  std::size_t fit(const Band& band, const std::uint8_t* mask, FitMaps& maps,
                  const std::function<void(std::size_t)>& on_pixels) override {
    return fit_band(band, backend_.tile_height, backend_.tile_width, mask, fitters_, pool_, maps, on_pixels);
  }
  runtime::Device device() const override { return runtime::Device::cpu; }
  std::string describe() const override {
    return fmt::format("cpu ({} thread{}{}{})", pool_.size(), pool_.size() == 1 ? "" : "s", note_.empty() ? "" : "; ",
                       note_);
  }

 private:
  BandFitterOptions backend_;
  std::string note_;  // why auto chose the CPU
  runtime::ThreadPool pool_;
  std::vector<std::unique_ptr<TileFitter>> fitters_;
};

}  // namespace

std::unique_ptr<BandFitter> BandFitter::create(const FitProblem& problem, const FitOptions& options,
                                               const BandFitterOptions& backend) {
  options.validate();
  if (backend.threads < 1) throw InvalidArgument("--threads must be >= 1");
  if (backend.tile_height < 1 || backend.tile_width < 1) throw InvalidArgument("--tile must have positive dimensions");
  runtime::Device device = backend.device;
  std::string note;
  if (device == runtime::Device::auto_select) {
    device = runtime::cuda_device_count() > 0 ? runtime::Device::cuda : runtime::Device::cpu;
    note = runtime::cpu_fallback_note("auto");
    if (device == runtime::Device::cuda && options.weights == WeightKind::dataset) {
      device = runtime::Device::cpu;  // the CUDA backend has no buffers for per-point weights yet
      note = "auto: weights from a dataset are fitted on the CPU";
    }
  }
  if (device == runtime::Device::cuda && options.weights == WeightKind::dataset) {
    throw InputError("--weights DATASET is fitted by the CPU backend only; use --device cpu or auto, or --weights "
                     "poisson on the GPU");
  }
  if (device == runtime::Device::cpu) {
    if (!backend.gpus.empty() && note.empty()) throw InvalidArgument("--gpus applies to --device cuda or auto");
    return std::make_unique<CpuBandFitter>(problem, options, backend, note);
  }
  const std::string why = runtime::cuda_unavailable_reason();
  if (!why.empty()) throw InputError(fmt::format("--device cuda: {}; use --device cpu or auto", why));
  const int count = runtime::cuda_device_count();
  for (int id : backend.gpus) {
    if (id >= count) {
      throw InputError(fmt::format("--gpus: device {} does not exist (this machine has {} CUDA device{})", id, count,
                                   count == 1 ? "" : "s"));
    }
  }
  return create_cuda_band_fitter(problem, options, backend.gpus.empty() ? std::vector<int>{0} : backend.gpus);
}

}  // namespace xpulse::fit
