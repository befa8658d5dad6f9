#include "pipelines/pumpprobe_fit.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "fit/band_fitter.h"
#include "fit/fit_band.h"
#include "fit/fit_maps.h"
#include "io/atomic_output.h"
#include "io/band_plan.h"
#include "io/hdf5.h"
#include "io/parallel_reader.h"
#include "io/row_parts.h"
#include "pipelines/job_identity.h"
#include "pipelines/jungfrau_input.h"
#include "pipelines/pumpprobe_input.h"
#include "runtime/journal.h"
#include "runtime/progress.h"
#include "runtime/work_queue.h"
#include "runtime/run_recorder.h"
#include "runtime/world.h"

namespace xpulse::pipelines {
namespace {

constexpr std::size_t kUnitBytes = 32u << 20;  // stack memory of one work unit (two are alive at once per rank)
constexpr std::size_t kFrameChunkUnits = 32;   // units of a stack chunked by whole frames (read once per rank)
constexpr std::size_t kLargeShareBytes = 256u << 20;  // a share read in one piece above this is reported

// Work units: bands of unit_rows detector rows (the last may be shorter).
struct UnitLayout {
  std::size_t ny = 0, unit_rows = 0, units = 0;
  // Chunks span whole frames: any rows need every chunk, so each rank reads its static share in one piece;
  // otherwise units are read one by one and handed out on request.
  bool frame_chunks = false;
  std::size_t y0(std::size_t u) const { return u * unit_rows; }
  std::size_t rows(std::size_t u) const { return std::min(unit_rows, ny - y0(u)); }
};

UnitLayout plan_units(const FitRequest& r, std::size_t n, std::size_t ny, std::size_t nx,
                      std::span<const std::size_t> granule) {
  UnitLayout layout;
  layout.ny = ny;
  const io::BandPlan plan = io::plan_row_bands(n, ny, nx, granule, r.tile_height, kUnitBytes);
  layout.frame_chunks = plan.frame_chunks;
  layout.unit_rows = plan.band_rows;
  if (layout.frame_chunks) {
    const std::size_t h = std::max<std::size_t>(1, r.tile_height);
    const std::size_t rows = (ny + kFrameChunkUnits - 1) / kFrameChunkUnits;
    layout.unit_rows = std::max(h, (rows + h - 1) / h * h);
  }
  if (r.unit_rows > 0) layout.unit_rows = r.unit_rows;
  layout.unit_rows = std::min(std::max<std::size_t>(1, layout.unit_rows), std::max<std::size_t>(1, ny));
  layout.units = (ny + layout.unit_rows - 1) / layout.unit_rows;
  return layout;
}

// What makes two runs the same job: a journal is only resumed by the job that wrote it.
std::string fit_identity(const FitRequest& r, const UnitLayout& layout, std::size_t nx, std::size_t delays,
                         runtime::Device device) {
  nlohmann::json j = pipelines::job_identity("fit", r.input);
  j["data"] = r.data_path;
  j["delays"] = r.delays_path;
  j["mask"] = r.mask_path;
  j["model"] = std::string(fit::to_string(r.options.model));
  j["t0_ps"] = r.options.t0_ps;
  j["tolerance"] = r.options.lm.tolerance;
  j["max_iterations"] = r.options.lm.max_iterations;
  j["amp_threshold"] = r.options.amp_threshold;
  j["min_snr"] = r.options.min_snr;
  j["weights"] = r.weights;
  j["correct"] = r.correct;
  j["adu_per_photon"] = r.options.adu_per_photon;
  j["device"] = std::string(runtime::to_string(device));
  j["shape"] = {delays, layout.ny, nx};
  j["unit_rows"] = layout.unit_rows;
  return j.dump();
}

void write_maps(const fit::FitMaps& maps, const FitRequest& r, const fit::FitProblem& problem,
                const std::string& data_units, const std::string& path,
                const std::vector<io::RowPart>* parts = nullptr) {
  io::Writer file(path);
  io::RowPartsWriter w(file, parts);
  const std::vector<std::size_t> dims = {maps.ny, maps.nx};
  const auto names = fit::parameter_names(maps.model);
  auto units = fit::parameter_units(maps.model);
  for (auto& u : units) {
    if (u == "data") u = data_units;
  }
  for (std::size_t a = 0; a < names.size(); ++a) {
    const std::string name(names[a]);
    w.write<float>("/fit/" + name, maps.value[a], dims, std::string(units[a]));
    w.write<float>("/fit/stderr/" + name, maps.std_error[a], dims, std::string(units[a]));
  }
  const bool weighted = r.options.weights != fit::WeightKind::none;
  w.write<float>("/fit/chi2", maps.chi2_reduced, dims, weighted ? "dimensionless" : fmt::format("({})^2", data_units));
  file.attribute("/fit/chi2", "description",
                 weighted ? "reduced chi2: sum of weight * residual^2 / (points of positive weight - parameters)"
                          : "reduced chi2: sum of squared residuals / (fitted delays - parameters)");
  w.write<std::uint8_t>("/fit/status", maps.status, dims);
  file.attribute("/fit/status", "codes", std::string(fit::fit_status_legend()));
  w.write<std::uint16_t>("/fit/iterations", maps.iterations, dims);
  file.attribute("/fit", "model", std::string(fit::to_string(maps.model)));
  file.attribute("/fit", "formula",
                 maps.model == fit::ModelKind::damped_cosine
                     ? "I(t) = offset + amplitude exp(-damping t) cos(2 pi frequency t + phase), t = delay - t0"
                     : "I(t) = offset + amplitude exp(-damping t) cos(2 pi frequency t + phase) + background "
                       "exp(-t / background_tau), t = delay - t0");
  file.attribute("/fit", "t0_ps", r.options.t0_ps);
  file.attribute("/fit", "fitted_delays", static_cast<double>(problem.t.size()));
  file.attribute("/fit", "max_frequency_thz", static_cast<double>(problem.max_frequency_thz));
  file.attribute("/fit", "tolerance", r.options.lm.tolerance);
  file.attribute("/fit", "max_iterations", static_cast<double>(r.options.lm.max_iterations));
  file.attribute("/fit", "min_snr", r.options.min_snr);
  file.attribute("/fit", "amp_threshold", r.options.amp_threshold);
  file.attribute("/fit", "weights", r.weights);
  if (r.options.weights == fit::WeightKind::poisson) file.attribute("/fit", "adu_per_photon", r.options.adu_per_photon);
  file.attribute("/fit", "standard_errors",
                 weighted ? "from the weights: sqrt(diag((J^T W J)^-1))"
                          : "scaled by the reduced chi2: sqrt(diag((J^T J)^-1) chi2_reduced)");
  file.attribute("/fit", "status_codes", std::string(fit::fit_status_legend()));
  io::write_provenance(file, r.command_line, r.input);
  file.close();
}

// The maps of a fit output file (a rank's part file) of rows x nx pixels.
fit::FitMaps read_maps(const std::string& path, std::size_t rows, std::size_t nx, fit::ModelKind model) {
  io::Reader in(path);
  fit::FitMaps m(rows, nx, model);
  const auto names = fit::parameter_names(model);
  for (std::size_t a = 0; a < names.size(); ++a) {
    m.value[a] = in.read<float>("/fit/" + std::string(names[a]));
    m.std_error[a] = in.read<float>("/fit/stderr/" + std::string(names[a]));
  }
  m.chi2_reduced = in.read<float>("/fit/chi2");
  m.status = in.read<std::uint8_t>("/fit/status");
  const std::vector<std::uint32_t> iterations = in.read<std::uint32_t>("/fit/iterations");
  std::transform(iterations.begin(), iterations.end(), m.iterations.begin(),
                 [](std::uint32_t i) { return static_cast<std::uint16_t>(i); });
  return m;
}

// MPI: every rank writes its units' rows, stacked in unit order, to its part file; rank 0 learns who holds which
// unit and writes the final file as virtual datasets over the parts, or merges them (--merge).
void write_distributed_maps(runtime::World& world, const FitRequest& r, const UnitLayout& layout,
                            const fit::FitProblem& problem, const std::string& data_units, const fit::FitMaps& maps,
                            const std::vector<std::size_t>& owned, io::AtomicOutput* output) {
  const std::size_t ny = maps.ny, nx = maps.nx;
  // Each rank writes its units' rows, stacked in unit order, to its part file.
  runtime::run_phase(world, [&] {
    if (world.is_root()) std::filesystem::create_directories(io::parts_directory_for(r.out));
  });
  runtime::run_phase(world, [&] {
    std::size_t rows = 0;
    for (std::size_t u : owned) rows += layout.rows(u);
    fit::FitMaps part(rows, nx, r.options.model);
    std::size_t row = 0;
    for (std::size_t u : owned) {
      part.copy_rows(maps, layout.y0(u), row, layout.rows(u));
      row += layout.rows(u);
    }
    io::AtomicOutput part_output(io::part_path(r.out, world.rank()));
    write_maps(part, r, problem, data_units, part_output.partial_path());
    part_output.commit();
  });
  // Rank 0 learns who holds which unit and writes the final file over the parts (or merges them).
  const std::vector<std::uint64_t> owned_words(owned.begin(), owned.end());
  const std::vector<std::uint64_t> counts_per_rank =
      world.gather_to_root(std::vector<std::uint64_t>{owned.size()});
  const std::vector<std::uint64_t> all_owned = world.gather_to_root(owned_words);
  runtime::run_phase(world, [&] {
    if (!world.is_root()) return;
    std::vector<io::RowPart> parts;
    std::size_t k = 0;
    for (int rank = 0; rank < world.size(); ++rank) {
      io::RowPart part{io::part_reference(r.out, rank), {}};
      std::size_t part_row = 0;
      for (std::uint64_t i = 0; i < counts_per_rank[static_cast<std::size_t>(rank)]; ++i, ++k) {
        const std::size_t u = all_owned[k];
        part.segments.push_back({part_row, layout.y0(u), layout.rows(u)});
        part_row += layout.rows(u);
      }
      parts.push_back(std::move(part));
    }
    if (r.merge) {
      fit::FitMaps merged(ny, nx, r.options.model);
      for (int rank = 0; rank < world.size(); ++rank) {
        const io::RowPart& part = parts[static_cast<std::size_t>(rank)];
        std::size_t rows = 0;
        for (const io::RowSegment& seg : part.segments) rows += seg.rows;
        const fit::FitMaps p = read_maps(io::part_path(r.out, rank), rows, nx, r.options.model);
        for (const io::RowSegment& seg : part.segments) merged.copy_rows(p, seg.part_row, seg.row, seg.rows);
      }
      write_maps(merged, r, problem, data_units, output->partial_path());
      output->commit();
      io::remove_parts(r.out);
    } else {
      write_maps(maps, r, problem, data_units, output->partial_path(), &parts);
      output->commit();
    }
  });
}

// Sets r.options.weights and adu_per_photon from --weights and --adu-per-photon and the input's gain.
void resolve_weights(FitRequest& r, const PumpProbeInput& input) {
  fit::FitOptions& o = r.options;
  o.weights = r.weights == "none"      ? fit::WeightKind::none
              : r.weights == "poisson" ? fit::WeightKind::poisson
                                       : fit::WeightKind::dataset;
  if (r.adu_per_photon && o.weights != fit::WeightKind::poisson) {
    throw InvalidArgument("--adu-per-photon applies to --weights poisson");
  }
  if (o.weights != fit::WeightKind::poisson) return;
  o.adu_per_photon = r.adu_per_photon ? *r.adu_per_photon : input.adu_per_photon;
  if (o.adu_per_photon == 0.0) {
    throw InputError(fmt::format("--weights poisson needs the detector gain: '{}' is in {}, not photons, and '{}' "
                                 "does not say how many per photon; give --adu-per-photon",
                                 r.data_path, input.data_units, r.input));
  }
}

}  // namespace

namespace {

FitSummary fit_pump_probe_file_unguarded(const FitRequest& request) {
  FitRequest r = request;
  const auto start = std::chrono::steady_clock::now();
  runtime::World& world = runtime::World::get();
  std::optional<PumpProbeInput> input;
  std::optional<fit::FitProblem> problem_storage;
  std::unique_ptr<io::AtomicOutput> output;
  std::unique_ptr<io::ParallelReader> stack;
  std::unique_ptr<io::ParallelReader> weights;  // --weights DATASET
  std::unique_ptr<fit::BandFitter> fitter;
  UnitLayout layout;
  // Every rank opens and checks the input; any failure stops all of them with one message.
  runtime::run_phase(world, [&] {
    // Checked again by BandFitter::create; here so that bad options fail before the input is opened.
    if (r.tile_height < 1 || r.tile_width < 1) throw InvalidArgument("--tile must have positive dimensions");
    if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
    r.options.validate();
    if (r.weights.empty()) throw InvalidArgument("--weights must be none, poisson or a dataset path");
    const bool weights_dataset = r.weights != "none" && r.weights != "poisson";
    input = open_pump_probe_input({r.input, r.data_path, r.delays_path, r.mask_path, r.mask_required,
                                   weights_dataset ? r.weights : std::string()});
    const std::shared_ptr<io::FrameCorrection> correction = input_correction(r.correct, r.threads);
    if (correction) {  // the fit sees corrected values: keV, or photons (one per photon)
      input->data_units = correction->units();
      input->adu_per_photon = input->data_units == "photons" ? 1.0 : 0.0;
    }
    resolve_weights(r, *input);
    r.options.validate();
    problem_storage = fit::FitProblem::make(input->delays_ps, r.options);
    // Fails now, before any fitting, if the output cannot be written.
    if (world.is_root()) output = std::make_unique<io::AtomicOutput>(r.out);
    stack = std::make_unique<io::ParallelReader>(
        r.input, r.data_path, io::ReaderOptions{r.threads, r.allow_missing, io::OpenMode::normal, correction});
    if (r.options.weights == fit::WeightKind::dataset) {
      weights = std::make_unique<io::ParallelReader>(r.input, r.weights, io::ReaderOptions{r.threads, r.allow_missing});
    }
    layout = plan_units(r, problem_storage->t.size(), input->ny, input->nx, stack->read_granule());
    // Several ranks on a node share its GPUs by local rank unless --gpus says which to use.
    std::vector<int> gpus = r.gpus;
    const int devices = runtime::cuda_device_count();
    if (gpus.empty() && world.distributed() && r.device != runtime::Device::cpu && devices > 0) {
      gpus = {world.local_rank() % devices};
    }
    fitter = fit::BandFitter::create(*problem_storage, r.options,
                                     fit::BandFitterOptions{r.device, r.threads, r.tile_height, r.tile_width, gpus});
  });
  const fit::FitProblem& problem = *problem_storage;
  const std::size_t ny = input->ny, nx = input->nx, n = problem.t.size();
  const std::vector<std::uint8_t>& mask = input->mask;
  spdlog::debug("fitting on {}", fitter->describe());
  const double share_bytes = static_cast<double>(n * ny * nx * sizeof(float)) / world.size();
  if (layout.frame_chunks && world.is_root() && share_bytes > static_cast<double>(kLargeShareBytes)) {
    spdlog::info("'{}' is chunked by whole frames: each {} reads its rows of every frame in one piece ({:.2f} GiB "
                 "as float32{})",
                 r.data_path, world.distributed() ? "rank" : "process",
                 share_bytes / (1u << 30),
                 world.distributed() ? " per rank" : "");
  }

  // The journal: what earlier runs of this job finished.
  const std::string identity = fit_identity(r, layout, nx, n, fitter->device());
  const std::unique_ptr<runtime::Journal> journal = runtime::Journal::open(world, r.out, identity, r.resume);

  fit::FitMaps maps(ny, nx, r.options.model);
  std::vector<std::size_t> owned;  // units whose results this rank holds (and writes)
  std::uint64_t fitted = 0;
  std::vector<char> done(layout.units, 0);
  std::size_t done_pixels = 0;
  runtime::run_phase(world, [&] {
    for (const runtime::Journal::Entry& e : journal->entries()) {
      if (e.unit >= layout.units || done[e.unit]) continue;
      done[e.unit] = 1;
      done_pixels += layout.rows(e.unit) * nx;
      // Earlier ranks' records are shared out over this run's ranks by file.
      if (e.file_rank % world.size() != world.rank()) continue;
      const std::vector<std::byte> payload = journal->load(e);
      runtime::PayloadReader in(payload);
      fitted += in.get<std::uint64_t>();
      maps.load_rows(layout.y0(e.unit), layout.rows(e.unit), in);
      owned.push_back(e.unit);
    }
  });
  std::vector<std::size_t> todo;
  for (std::size_t u = 0; u < layout.units; ++u) {
    if (!done[u]) todo.push_back(u);
  }
  const std::size_t resumed = layout.units - todo.size();
  if (resumed > 0 && world.is_root()) {
    spdlog::info("resuming: {} of {} work units were finished by an earlier run", resumed, layout.units);
  }

  runtime::Progress progress("fit", ny * nx, "pixels", "pixels", r.progress && world.is_root());
  progress.advance(done_pixels, 0);
  const auto on_finished = [&](std::size_t u) { progress.advance(layout.rows(u) * nx, layout.rows(u) * nx); };
  // Per unit of this rank: unit, start and end (microseconds since the epoch), bytes; for the run's record.
  std::vector<std::uint64_t> unit_times;
  // Fits one unit whose stack [n][rows][nx] is in `data`, and journals it.
  const auto fit_unit = [&](std::size_t u, const float* data, const float* unit_weights) {
    const double started = runtime::unix_now();
    const fit::Band view{data, layout.rows(u), nx, layout.y0(u), unit_weights};
    const std::uint64_t f = fitter->fit(view, mask.empty() ? nullptr : mask.data(), maps);
    runtime::PayloadWriter payload;
    payload.put(f);
    maps.save_rows(layout.y0(u), layout.rows(u), payload);
    journal->append(u, payload.bytes());
    owned.push_back(u);
    fitted += f;
    unit_times.insert(unit_times.end(), {static_cast<std::uint64_t>(world.rank()), u,
                                         static_cast<std::uint64_t>(started * 1e6),
                                         static_cast<std::uint64_t>(runtime::unix_now() * 1e6),
                                         static_cast<std::uint64_t>(n * layout.rows(u) * nx * sizeof(float))});
  };

  const auto fit_start = std::chrono::steady_clock::now();
  runtime::run_phase(world, [&] {
    if (!layout.frame_chunks) {
      // Units on request: each is read while the previous one is fitted.
      runtime::WorkQueue queue(world, todo, on_finished);
      const std::size_t unit_floats = n * layout.unit_rows * nx;
      std::array<runtime::HostBuffer, 2> buffers = {fitter->allocate_host(unit_floats),
                                                    fitter->allocate_host(unit_floats)};
      const std::size_t weight_floats = weights ? unit_floats : 0;
      std::array<runtime::HostBuffer, 2> weight_buffers = {runtime::HostBuffer::heap(weight_floats),
                                                           runtime::HostBuffer::heap(weight_floats)};
      auto read_unit = [&](std::size_t u, std::size_t slot) {
        const std::array<std::size_t, 3> offset = {problem.first_delay, layout.y0(u), 0};
        const std::array<std::size_t, 3> count = {n, layout.rows(u), nx};
        stack->read<float>(offset, count, buffers[slot].data());
        if (weights) weights->read<float>(offset, count, weight_buffers[slot].data());
      };
      std::optional<std::size_t> current = queue.next();
      std::future<void> reading;
      std::size_t slot = 0;
      if (current) reading = std::async(std::launch::async, read_unit, *current, slot);
      while (current) {
        reading.get();
        const std::optional<std::size_t> following = queue.next();
        if (following) reading = std::async(std::launch::async, read_unit, *following, 1 - slot);
        try {
          fit_unit(*current, buffers[slot].data(), weights ? weight_buffers[slot].data() : nullptr);
        } catch (...) {
          if (reading.valid()) reading.wait();  // the reader writes into the other buffer: let it finish first
          throw;
        }
        queue.finished(*current);
        current = following;
        slot = 1 - slot;
      }
    } else {
      // Every rank reads the rows of its static share of every frame once, then fits it unit by unit.
      const std::vector<std::size_t> share = runtime::static_share(todo, world.rank(), world.size());
      if (share.empty()) return;
      const std::size_t first_row = layout.y0(share.front());
      const std::size_t rows = layout.y0(share.back()) + layout.rows(share.back()) - first_row;
      runtime::HostBuffer all = fitter->allocate_host(n * rows * nx);
      runtime::HostBuffer unit = fitter->allocate_host(n * layout.unit_rows * nx);
      runtime::HostBuffer all_weights = runtime::HostBuffer::heap(weights ? n * rows * nx : 0);
      runtime::HostBuffer unit_weights = runtime::HostBuffer::heap(weights ? n * layout.unit_rows * nx : 0);
      const std::array<std::size_t, 3> offset = {problem.first_delay, first_row, 0};
      const std::array<std::size_t, 3> count = {n, rows, nx};
      stack->read<float>(offset, count, all.data());
      if (weights) weights->read<float>(offset, count, all_weights.data());
      // Rows [row, row + unit_rows) of every frame of the share, packed.
      const auto gather = [&](const float* from, float* to, std::size_t row, std::size_t unit_rows) {
        for (std::size_t d = 0; d < n; ++d) {
          std::memcpy(to + d * unit_rows * nx, from + (d * rows + row) * nx, unit_rows * nx * sizeof(float));
        }
      };
      for (std::size_t u : share) {
        if (world.failure_announced()) break;
        const std::size_t unit_rows = layout.rows(u), row = layout.y0(u) - first_row;
        gather(all.data(), unit.data(), row, unit_rows);
        if (weights) gather(all_weights.data(), unit_weights.data(), row, unit_rows);
        fit_unit(u, unit.data(), weights ? unit_weights.data() : nullptr);
        on_finished(u);
      }
    }
  });
  progress.finish();
  const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - fit_start).count();

  // Statistics over every rank's units.
  std::sort(owned.begin(), owned.end());
  std::vector<std::uint64_t> counts(fit::kFitStatusCount + 1, 0);
  std::vector<float> chi2;
  for (std::size_t u : owned) {
    for (std::size_t i = layout.y0(u) * nx; i < (layout.y0(u) + layout.rows(u)) * nx; ++i) {
      ++counts[maps.status[i]];
      if (static_cast<fit::FitStatus>(maps.status[i]) == fit::FitStatus::converged) chi2.push_back(maps.chi2_reduced[i]);
    }
  }
  counts.back() = fitted;
  world.sum_all(counts);
  chi2 = world.gather_to_root(chi2);
  // Every rank's work units go to the run's record through rank 0.
  const std::vector<std::uint64_t> all_times = world.gather_to_root(unit_times);
  if (world.is_root()) {
    std::vector<runtime::WorkUnitRecord> units;
    for (std::size_t k = 0; k + 4 < all_times.size(); k += 5) {
      units.push_back({static_cast<int>(all_times[k]), fmt::format("rows {}", layout.y0(all_times[k + 1])),
                       static_cast<double>(all_times[k + 2]) * 1e-6, static_cast<double>(all_times[k + 3]) * 1e-6,
                       all_times[k + 4]});
    }
    runtime::RunRecorder::get().work_units(units);
  }
  const std::size_t masked = counts[static_cast<int>(fit::FitStatus::masked)];
  const std::size_t non_finite = counts[static_cast<int>(fit::FitStatus::non_finite_input)];
  if (non_finite > 0 && non_finite == ny * nx - masked) {
    // The finished units hold nothing but non-finite inputs: no journal worth resuming is kept.
    if (world.is_root()) runtime::Journal::remove(r.out);
    if (r.options.weights == fit::WeightKind::dataset) {
      throw InputError(fmt::format("no unmasked pixel of '{}' has finite values after t0 and valid weights in '{}' "
                                   "(>= 0, finite, at least {} positive)",
                                   r.data_path, r.weights, fit::kMinFitPoints));
    }
    throw InputError(fmt::format("dataset '{}' has no finite values after t0 in any unmasked pixel (all NaN/Inf)",
                                 r.data_path));
  }

  FitSummary s;
  s.out = r.out;
  s.pixels = ny * nx;
  s.data_units = input->data_units;
  s.data_layout = stack->describe();
  s.units = layout.units;
  s.unit_rows = layout.unit_rows;
  s.resumed_units = resumed;
  s.backend = fitter->describe();
  s.distribution = world.distributed()
                       ? fmt::format("{} ({})", world.describe(),
                                     layout.frame_chunks ? "static shares of rows" : "units on request from rank 0")
                       : world.describe();
  for (std::size_t k = 0; k < fit::kFitStatusCount; ++k) s.status_counts[k] = counts[k];
  s.fitted = counts.back();
  if (!chi2.empty()) {
    std::nth_element(chi2.begin(), chi2.begin() + static_cast<std::ptrdiff_t>(chi2.size() / 2), chi2.end());
    s.median_chi2_reduced = chi2[chi2.size() / 2];
  }
  s.weights = r.options.weights;
  s.adu_per_photon = r.options.adu_per_photon;
  s.fit_seconds = fit_seconds;
  s.fits_per_second = fit_seconds > 0 ? static_cast<double>(s.fitted) / fit_seconds : 0.0;

  if (!world.distributed()) {
    write_maps(maps, r, problem, input->data_units, output->partial_path());
    output->commit();
  } else {
    write_distributed_maps(world, r, layout, problem, input->data_units, maps, owned, output.get());
  }
  if (world.is_root()) runtime::Journal::remove(r.out);
  s.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace

FitSummary fit_pump_probe_file(const FitRequest& r) {
  return runtime::Journal::guard(r.out, runtime::World::get().is_root(),
                                 [&] { return fit_pump_probe_file_unguarded(r); });
}

}  // namespace xpulse::pipelines
