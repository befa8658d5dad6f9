#include "ptycho/engine.h"

#include <algorithm>

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
  if (!(dm_alpha >= 0 && dm_alpha <= 1)) throw InvalidArgument("--dm-alpha must be in [0, 1]");
  if (!(epie_regularisation > 0 && epie_regularisation <= 1)) throw InvalidArgument("--rpie must be in (0, 1]");
}

double EngineOptions::dm_alpha_at(int iteration) const {
  if (dm_settle_from < 0 || iteration < dm_settle_from) return dm_alpha;
  if (dm_settle_to <= dm_settle_from) return 0.0;
  const double left = static_cast<double>(dm_settle_to - iteration) / (dm_settle_to - dm_settle_from);
  return dm_alpha * std::clamp(left, 0.0, 1.0);
}

std::unique_ptr<Engine> Engine::create(const PtychoProblem& problem, const EngineOptions& options,
                                       runtime::ThreadPool& pool, runtime::World& world) {
  options.validate();
  if (options.cuda_device >= 0 && options.algorithm != Algorithm::ml) {
    throw InvalidArgument("on a GPU only --algorithm ml runs; ePIE and DM run with --device cpu");
  }
  if (problem.streamed() && options.algorithm != Algorithm::ml) {
    throw InvalidArgument(fmt::format("{} keeps every frame{} in memory: frames streamed under a --memory budget are "
                                      "reconstructed by --algorithm ml (with --warm-up 0)",
                                      options.algorithm == Algorithm::dm ? "DM" : "ePIE",
                                      options.algorithm == Algorithm::dm ? " and its exit wave" : ""));
  }
  if (problem.streamed() && options.cuda_device >= 0) {
    throw InvalidArgument("frames streamed under a --memory budget are reconstructed on the CPU (--device cpu)");
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

}  // namespace xpulse::ptycho
