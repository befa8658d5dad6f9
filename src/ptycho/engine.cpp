#include "ptycho/engine.h"

#include <fmt/format.h>

#include "core/error.h"
#include "ptycho/difference_map.h"
#include "ptycho/epie.h"
#include "ptycho/ml_cg.h"

namespace xpulse::ptycho {

Algorithm parse_algorithm(const std::string& name) {
  if (name == "epie") return Algorithm::epie;
  if (name == "dm") return Algorithm::dm;
  if (name == "ml") return Algorithm::ml;
  throw InvalidArgument(fmt::format("--algorithm '{}' is not known; use epie, dm or ml", name));
}

NoiseModel parse_noise_model(const std::string& name) {
  if (name == "gaussian") return NoiseModel::gaussian;
  if (name == "poisson") return NoiseModel::poisson;
  throw InvalidArgument(fmt::format("--noise '{}' is not known; use gaussian or poisson", name));
}

std::string algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::epie: return "epie";
    case Algorithm::dm: return "dm";
    case Algorithm::ml: return "ml";
  }
  return "?";
}

void EngineOptions::validate() const {
  if (batch < 1) throw InvalidArgument("--batch must be >= 1");
  if (!(epie_object_step > 0 && epie_object_step <= 1) || !(epie_probe_step > 0 && epie_probe_step <= 1)) {
    throw InvalidArgument("the ePIE steps must be in (0, 1]");
  }
  if (!(fourier_relax >= 0 && fourier_relax < 1)) throw InvalidArgument("--fourier-relax must be in [0, 1)");
}

std::unique_ptr<Engine> Engine::create(const PtychoProblem& problem, const EngineOptions& options,
                                       runtime::ThreadPool& pool, runtime::World& world) {
  options.validate();
  if (options.cuda_device >= 0 && options.algorithm != Algorithm::ml) {
    throw InvalidArgument("on a GPU only --algorithm ml runs; ePIE and DM run with --device cpu");
  }
  switch (options.algorithm) {
    case Algorithm::epie:
      if (world.distributed()) {
        throw InvalidArgument("ePIE updates the object after every position and runs as one process; use --algorithm "
                              "dm or ml under mpirun");
      }
      return std::make_unique<EpieEngine>(problem, options);
    case Algorithm::dm: return std::make_unique<DifferenceMapEngine>(problem, options, pool, world);
    case Algorithm::ml: return std::make_unique<MlEngine>(problem, options, pool, world);
  }
  throw InvalidArgument("unknown algorithm");
}

std::vector<cfloat> probe_from_data(const PtychoProblem& problem, const FrameFft& fft, runtime::World& world) {
  const std::size_t n2 = problem.n * problem.n;
  std::vector<double> sums(n2 + 2, 0.0);  // amplitude per pixel, frames, intensity
  for (std::size_t j = 0; j < problem.frames; ++j) {
    for (std::size_t k = 0; k < n2; ++k) sums[k] += problem.amplitude[j * n2 + k];
  }
  sums[n2] = static_cast<double>(problem.frames);
  sums[n2 + 1] = problem.total_intensity;
  world.sum_all(std::span<double>(sums));
  std::vector<cfloat> probe(n2);
  double power = 0;
  for (std::size_t k = 0; k < n2; ++k) {
    probe[k] = cfloat(static_cast<float>(sums[k] / sums[n2]), 0);
    power += norm2(probe[k]);
  }
  fft.backward(probe.data());
  // The transform of a real, even pattern peaks at pixel (0, 0): move it to the frame's centre.
  const std::size_t n = problem.n, h = n / 2;
  std::vector<cfloat> centred(n2);
  for (std::size_t y = 0; y < n; ++y)
    for (std::size_t x = 0; x < n; ++x) centred[((y + h) % n) * n + (x + h) % n] = probe[y * n + x];
  probe.swap(centred);
  // Unitary transforms keep the power; scale it to the mean frame intensity (the mean of |a|^2 is larger than
  // |mean a|^2).
  const double target = sums[n2 + 1] / sums[n2];
  const float scale = power > 0 ? static_cast<float>(std::sqrt(target / power)) : 1.0f;
  for (auto& v : probe) v *= scale;
  return probe;
}

}  // namespace xpulse::ptycho
