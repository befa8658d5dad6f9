#include "pipelines/ptycho_reconstruct.h"

#include <chrono>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "pipelines/ptycho_output.h"
#include "pipelines/ptycho_frame_source.h"
#include "pipelines/ptycho_input.h"
#include "ptycho/probe_guess.h"
#include "runtime/devices.h"
#include "runtime/progress.h"
#include "runtime/run_recorder.h"
#include "runtime/thread_pool.h"
#include "runtime/world.h"

namespace xpulse::pipelines {
std::vector<ptycho::cfloat> read_ptycho_probe(const std::string& spec, std::size_t n) {
  const auto [file, dataset] = split_file_dataset(spec, "--probe");
  const io::Reader reader(file);
  const io::DatasetInfo info = reader.info(dataset);
  if (info.dims.size() != 2) {
    throw InputError(fmt::format("the probe '{}' in '{}' has rank {}; expected 2", dataset, file, info.dims.size()));
  }
  if (info.dims[0] > n || info.dims[1] > n) {
    throw InputError(fmt::format("the probe '{}' in '{}' ({}x{}) is larger than the frames ({}x{})", dataset, file,
                                 info.dims[0], info.dims[1], n, n));
  }
  if (info.dims[0] != n || info.dims[1] != n) {
    throw InputError(fmt::format("the probe '{}' in '{}' ({}x{}) does not have the frames' shape ({}x{})", dataset,
                                 file, info.dims[0], info.dims[1], n, n));
  }
  std::vector<ptycho::cfloat> probe = reader.read_complex(dataset);
  for (const auto& v : probe) {
    if (!std::isfinite(v.real()) || !std::isfinite(v.imag())) {
      throw InputError(fmt::format("the probe '{}' in '{}' holds non-finite values", dataset, file));
    }
  }
  return probe;
}

namespace {

void log_iteration(const ptycho::IterationRecord& g) {
  spdlog::info("iteration {} ({}): cost {:.6g}, {:.3f} s ({:.3f} s in FFTs{})", g.iteration,
               ptycho::algorithm_name(g.algorithm), g.cost, g.seconds, g.fft_seconds,
               g.algorithm == ptycho::Algorithm::ml ? fmt::format(", step {:.3g}", g.step) : "");
}

}  // namespace

PtychoReconstructSummary ptycho_reconstruct_file(const PtychoReconstructRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  r.course.validate();
  if (r.log_every < 1) throw InvalidArgument("--log-every must be >= 1");
  if (r.device != "auto" && r.device != "cpu" && r.device != "cuda") {
    throw InvalidArgument(fmt::format("--device must be auto, cpu or cuda, got '{}'", r.device));
  }
  r.options.validate();
  runtime::World& world = runtime::World::get();
  // ML's per-frame work runs on a GPU when one is asked for or found (ranks on a node share them by local rank).
  ptycho::EngineOptions options = r.options;
  const bool ml = options.algorithm == ptycho::Algorithm::ml;
  const int devices = r.device == "cpu" || (r.device == "auto" && !ml) ? 0 : runtime::cuda_device_count();
  if (r.device == "cuda" && !ml) {
    throw InvalidArgument("--device cuda runs --algorithm ml only; ePIE and DM run on the CPU");
  }
  if (devices > 0) {
    options.cuda_device = world.local_rank() % devices;
  } else if (r.device == "cuda") {
    throw InvalidArgument("--device cuda: no CUDA device can be used (" + runtime::cuda_unavailable_reason() + ")");
  }
  PtychoInput input;
  ptycho::PtychoProblem problem;
  std::vector<ptycho::cfloat> given_probe;
  std::unique_ptr<io::AtomicOutput> output;
  std::shared_ptr<CxiFrameSource> source;
  runtime::run_phase(world, [&] {
    if (r.options.algorithm == ptycho::Algorithm::epie && world.distributed()) {
      throw InvalidArgument("ePIE updates the object after every position and runs as one process; use "
                            "--algorithm dm or ml under mpirun");
    }
    input = read_ptycho_input(r.input, world.rank(), world.size(), 0, io::OpenMode::normal, false);
    const std::size_t resident = input.count * input.n * input.n * kResidentBytesPerPixel;
    if (r.memory > 0 && resident > r.memory) {
      const std::size_t block = std::min(options.batch, input.count) * input.n * input.n * 5 * sizeof(float);
      if (block > r.memory) {
        throw InvalidArgument(fmt::format("--memory {} bytes does not hold one batch of {} frames ({} bytes); raise "
                                          "it or lower --batch", r.memory, options.batch, block));
      }
      source = std::make_shared<CxiFrameSource>(r.input, input.first, input.n, r.threads);
      problem = ptycho::make_streamed_problem(source, input.count, input.n, input.mask, part_positions(input),
                                              input.object_ny, input.object_nx, options.batch);
      spdlog::info("rank {}: the frames need {:.3g} GiB in memory, more than --memory {:.3g} GiB: they are read from "
                   "the file in batches of {} at every pass", world.rank(), resident / 1073741824.0,
                   r.memory / 1073741824.0, options.batch);
    } else {
      read_ptycho_frames(r.input, input);
      problem = ptycho::make_problem(input.intensities, input.count, input.n, input.mask, part_positions(input),
                                     input.object_ny, input.object_nx);
    }
    if (!r.probe.empty()) given_probe = read_ptycho_probe(r.probe, input.n);
    if (world.is_root()) output = std::make_unique<io::AtomicOutput>(r.out);
  });
  runtime::ThreadPool pool(r.threads);
  ptycho::PtychoState state;
  state.object.assign(input.object_ny * input.object_nx, ptycho::cfloat(1, 0));
  std::string probe_start = "given probe";
  if (given_probe.empty()) {
    const ptycho::ProbeGuess guess = ptycho::guess_probe(problem, input.positions, input.first, pool, world);
    state.probe = guess.probe;
    probe_start = fmt::format("probe from the data: mean-pattern pupil of radius {:.1f} pixels with the defocus of "
                              "nominal diameter {:.1f} pixels (the best of {} tried)",
                              guess.pupil_radius, guess.diameter, guess.tried.size());
  } else {
    state.probe = given_probe;
  }
  ptycho::Course course(problem, options, r.course, pool, world);
  if (world.is_root()) {
    spdlog::info("{} on {} frames of {}x{} ({}{}), object {}x{} at {:.3g} m, {}; {}",
                 ptycho::algorithm_name(r.options.algorithm), input.frames, input.n, input.n, world.describe(),
                 options.cuda_device >= 0 ? ", " + runtime::cuda_device_name(options.cuda_device) : "",
                 input.object_ny, input.object_nx, input.pixel_m,
                 probe_start,
                 describe_course(options.algorithm, r.course));
  }
  const auto total = static_cast<std::size_t>(course.total_iterations());
  runtime::Progress progress("ptycho reconstruct", total, "iterations", "frames", r.progress && world.is_root());
  std::vector<runtime::WorkUnitRecord> units;  // one per iteration of this rank, for the run record
  for (std::size_t i = 0; i < total; ++i) {
    const double began = runtime::unix_now();
    course.iterate(state);
    units.push_back({world.rank(), fmt::format("iteration {}", i), began, runtime::unix_now(),
                     input.count * input.n * input.n * sizeof(float)});
    const ptycho::IterationRecord& g = state.history.back();
    if (world.is_root() && (i % static_cast<std::size_t>(r.log_every) == 0 || i + 1 == total)) log_iteration(g);
    if (world.is_root()) runtime::RunRecorder::get().series("cost", g.iteration, g.cost);
    progress.advance(1, input.frames);
  }
  progress.finish();
  if (world.is_root()) runtime::RunRecorder::get().work_units(units);
  const ptycho::ModelFit fit = ptycho::model_fit(problem, state, options, pool, world);
  const std::optional<std::string> warning = ptycho::convergence_warning(fit);
  if (warning && world.is_root()) spdlog::warn("{}", *warning);

  runtime::run_phase(world, [&] {
    if (!world.is_root()) return;
    PtychoResult result{input, state, fit, describe_course(options.algorithm, r.course)};
    result.shifted[0] = course.shifted_rows(), result.shifted[1] = course.shifted_cols();
    write_ptycho_result(output->partial_path(), r, result);
    output->commit();
  });

  PtychoReconstructSummary s;
  s.frames = input.frames, s.n = input.n, s.object_ny = input.object_ny, s.object_nx = input.object_nx;
  s.pixel_m = input.pixel_m;
  s.history = state.history;
  s.fit = fit;
  s.streamed_frames = source ? source->loaded_frames() : 0;
  s.warning = warning.value_or("");
  s.shifted[0] = course.shifted_rows(), s.shifted[1] = course.shifted_cols();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace xpulse::pipelines
