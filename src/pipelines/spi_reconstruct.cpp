#include "pipelines/spi_reconstruct.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numbers>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "io/mrc_writer.h"
#include "pipelines/history_column.h"
#include "pipelines/job_identity.h"
#include "runtime/devices.h"
#include "runtime/journal.h"
#include "runtime/progress.h"
#include "runtime/run_recorder.h"
#include "runtime/thread_pool.h"
#include "runtime/world.h"

namespace xpulse::pipelines {
namespace {

const std::string kData = "/entry_1/data_1/data";
const std::string kDetector = "/entry_1/instrument_1/detector_1/";

std::vector<std::size_t> dims_of(const io::Reader& reader, const std::string& dataset, std::size_t rank) {
  const io::DatasetInfo info = reader.info(dataset);
  if (info.dims.size() != rank) {
    throw InputError(fmt::format("'{}' in '{}' has rank {}; expected {}", dataset, reader.path(), info.dims.size(), rank));
  }
  return info.dims;
}

std::string identity_of(const SpiReconstructRequest& r) {
  nlohmann::json j = job_identity("spi reconstruct", r.input);
  const spi::MtipOptions& o = r.options;
  j["grid"] = o.grid;
  j["references"] = o.references;
  j["phasing"] = o.phasing;
  j["lambdas"] = o.merge.lambdas;
  j["eps"] = o.eps;
  j["seed"] = o.seed;
  return j.dump();  // --generations may grow on resume
}

void save_state(runtime::PayloadWriter& out, const spi::MtipState& s) {
  out.put<std::int64_t>(s.generations_done);
  out.put<std::uint64_t>(s.autocorrelation.size());
  out.put(std::span<const double>(s.autocorrelation));
  out.put(std::span<const double>(s.density));
  out.put(std::span<const std::uint8_t>(s.support));
  out.put<std::uint64_t>(s.orientations.size());
  out.put(std::span<const geometry::Quaternion>(s.orientations));
  out.put(std::span<const double>(s.scales));
  out.put<std::uint64_t>(s.history.size());
  out.put(std::span<const spi::GenerationRecord>(s.history));
}

spi::MtipState load_state(runtime::PayloadReader& in, std::size_t m3, std::size_t images) {
  spi::MtipState s;
  s.generations_done = static_cast<int>(in.get<std::int64_t>());
  if (in.get<std::uint64_t>() != m3) throw Error("the checkpoint's grid does not match");
  s.autocorrelation.resize(m3), s.density.resize(m3), s.support.resize(m3);
  in.get(std::span<double>(s.autocorrelation));
  in.get(std::span<double>(s.density));
  in.get(std::span<std::uint8_t>(s.support));
  if (in.get<std::uint64_t>() != images) throw Error("the checkpoint's image count does not match");
  s.orientations.resize(images), s.scales.resize(images);
  in.get(std::span<geometry::Quaternion>(s.orientations));
  in.get(std::span<double>(s.scales));
  s.history.resize(in.get<std::uint64_t>());
  in.get(std::span<spi::GenerationRecord>(s.history));
  return s;
}

std::string default_mrc(const std::string& out) {
  std::filesystem::path p(out);
  p.replace_extension(".mrc");
  return p.string();
}

void write_output(const SpiReconstructRequest& r, const std::string& path, const spi::Mtip& mtip,
                  const spi::MtipState& s, const SpiInput& input, unsigned threads) {
  const std::size_t m = mtip.grid(), n = input.n;
  const std::vector<std::size_t> cube = {m, m, m};
  io::Writer w(path);
  w.write<double>("/reconstruction/density", s.density, cube, "arbitrary");
  w.attribute("/reconstruction/density", "description",
              "electron density (arbitrary scale) at r = (j - M/2) voxel_size, index [z][y][x], x fastest");
  w.write<double>("/reconstruction/intensity", spi::intensity_of(s.density, m, threads), cube, "arbitrary");
  w.attribute("/reconstruction/intensity", "description", "|F(q)|^2 of the density at q = (i - M/2) q_spacing");
  w.write<double>("/reconstruction/autocorrelation", s.autocorrelation, cube, "arbitrary");
  w.write<std::uint8_t>("/reconstruction/support", s.support, cube);
  std::vector<double> quaternions;
  for (const auto& q : s.orientations) quaternions.insert(quaternions.end(), q.begin(), q.end());
  w.write<double>("/reconstruction/orientations", quaternions, std::vector<std::size_t>{n, 4});
  w.attribute("/reconstruction/orientations", "description",
              "unit quaternions (w, x, y, z), molecule frame to lab frame, of each image's matched reference "
              "(in the reconstruction's own frame)");
  w.write<double>("/reconstruction/scales", s.scales, std::vector<std::size_t>{n});
  w.attribute("/reconstruction", "voxel_size", mtip.voxel());
  w.attribute("/reconstruction", "q_spacing", mtip.q_spacing());
  w.attribute("/reconstruction", "grid", static_cast<double>(m));
  w.attribute("/reconstruction", "edge_resolution", input.edge_resolution);
  const std::vector<std::size_t> g = {s.history.size()};
  using R = spi::GenerationRecord;
  w.write<std::int32_t>("/history/generation", history_column<std::int32_t>(s.history, &R::generation), g);
  w.write<double>("/history/slice_seconds", history_column<double>(s.history, &R::slice_seconds), g, "s");
  w.write<double>("/history/match_seconds", history_column<double>(s.history, &R::match_seconds), g, "s");
  w.write<double>("/history/gemm_seconds", history_column<double>(s.history, &R::gemm_seconds), g, "s");
  w.write<double>("/history/merge_seconds", history_column<double>(s.history, &R::merge_seconds), g, "s");
  w.write<double>("/history/phase_seconds", history_column<double>(s.history, &R::phase_seconds), g, "s");
  w.write<double>("/history/distance_mean", history_column<double>(s.history, &R::distance_mean), g);
  w.write<double>("/history/distance_median", history_column<double>(s.history, &R::distance_median), g);
  w.write<double>("/history/orientation_change", history_column<double>(s.history, &R::orientation_change), g, "rad");
  w.write<double>("/history/lambda", history_column<double>(s.history, &R::lambda), g);
  w.write<double>("/history/merge_residual", history_column<double>(s.history, &R::merge_residual), g);
  w.write<std::int32_t>("/history/cg_iterations", history_column<std::int32_t>(s.history, &R::cg_iterations), g);
  w.write<std::uint32_t>("/history/support", history_column<std::uint32_t>(s.history, &R::support), g, "voxels");
  w.write<double>("/history/fourier_error", history_column<double>(s.history, &R::fourier_error), g);
  io::write_provenance(w, r.command_line, r.input);
  w.close();
}

}  // namespace

SpiInput read_spi_input(const std::string& path, int part, int parts) {
  io::Reader reader(path);
  SpiInput in;
  const auto d = dims_of(reader, kData, 3);
  in.n = d[0], in.ny = d[1], in.nx = d[2];
  if (in.n == 0 || in.ny == 0 || in.nx == 0) throw InputError(fmt::format("'{}' in '{}' is empty", kData, path));
  const auto dq = dims_of(reader, kDetector + "q", 3);
  if (dq[0] != in.ny || dq[1] != in.nx || dq[2] != 3) {
    throw InputError(fmt::format("'{}q' in '{}' is [{}, {}, {}]; expected [{}, {}, 3] like the images", kDetector,
                                 path, dq[0], dq[1], dq[2], in.ny, in.nx));
  }
  for (const char* name : {"polarization", "solid_angle"}) {
    const auto dp = dims_of(reader, kDetector + name, 2);
    if (dp[0] != in.ny || dp[1] != in.nx) {
      throw InputError(fmt::format("'{}{}' in '{}' does not have the images' shape [{}, {}]", kDetector, name, path,
                                   in.ny, in.nx));
    }
  }
  in.first = in.n * static_cast<std::size_t>(part) / static_cast<std::size_t>(parts);
  in.count = in.n * static_cast<std::size_t>(part + 1) / static_cast<std::size_t>(parts) - in.first;
  const std::size_t offset[3] = {in.first, 0, 0}, count[3] = {in.count, in.ny, in.nx};
  if (in.count > 0) in.images = reader.read<float>(kData, offset, count);
  in.q = reader.read<double>(kDetector + "q");
  derive_pixel_terms(in, reader.read<double>(kDetector + "polarization"), reader.read<double>(kDetector + "solid_angle"),
                     "'" + path + "'");
  return in;
}

void derive_pixel_terms(SpiInput& in, const std::vector<double>& polarization, const std::vector<double>& solid_angle,
                        const std::string& source) {
  const std::size_t pixels = in.ny * in.nx;
  if (in.q.size() != 3 * pixels || polarization.size() != pixels || solid_angle.size() != pixels) {
    throw InputError(fmt::format("the detector geometry in {} does not have the images' shape", source));
  }
  double reference = 0;
  for (double s : solid_angle) reference = std::max(reference, s);
  in.pixel_factor.resize(pixels);
  in.q_max = 0;
  for (std::size_t p = 0; p < pixels; ++p) {
    const double* q = in.q.data() + 3 * p;
    if (!std::isfinite(q[0] + q[1] + q[2]) || !std::isfinite(polarization[p]) || !std::isfinite(solid_angle[p])) {
      throw InputError(fmt::format("the detector geometry in {} is not finite at pixel {}", source, p));
    }
    in.q_max = std::max(in.q_max, std::hypot(q[0], q[1], q[2]));
    in.pixel_factor[p] = reference > 0 ? polarization[p] * solid_angle[p] / reference : 0.0;
  }
  // The nearest edge's middle pixel.
  double edge = INFINITY;
  const std::size_t midpoints[4][2] = {{in.ny / 2, 0}, {in.ny / 2, in.nx - 1}, {0, in.nx / 2}, {in.ny - 1, in.nx / 2}};
  for (const auto& yx : midpoints) {
    const double* q = in.q.data() + 3 * (yx[0] * in.nx + yx[1]);
    edge = std::min(edge, std::hypot(q[0], q[1], q[2]));
  }
  in.edge_resolution = edge > 0 ? 2 * std::numbers::pi / edge : INFINITY;
}

namespace {

SpiReconstructSummary spi_reconstruct_file_unguarded(const SpiReconstructRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  if (r.generations < 1) throw InvalidArgument(fmt::format("--generations must be >= 1, got {}", r.generations));
  if (r.device != "auto" && r.device != "cpu" && r.device != "cuda") {
    throw InvalidArgument(fmt::format("--device must be auto, cpu or cuda, got '{}'", r.device));
  }
  r.options.validate();
  runtime::World& world = runtime::World::get();
  // Orientation matching runs on a GPU when one is asked for or found (ranks on a node share them by local
  // rank); slicing, merging and phasing stay on the CPU.
  spi::MtipOptions options = r.options;
  const int devices = r.device == "cpu" ? 0 : runtime::cuda_device_count();
  if (devices > 0) {
    options.cuda_device = world.local_rank() % devices;
  } else if (r.device == "cuda") {
    throw InvalidArgument("--device cuda: no CUDA device can be used (" + runtime::cuda_unavailable_reason() + ")");
  }
  SpiInput input;
  std::unique_ptr<io::AtomicOutput> output, mrc;
  const std::string mrc_path = r.mrc.empty() ? default_mrc(r.out) : r.mrc;
  // Every rank reads its share of the images; any failure stops all of them with one message.
  runtime::run_phase(world, [&] {
    input = read_spi_input(r.input, world.rank(), world.size());
    if (std::filesystem::absolute(mrc_path) == std::filesystem::absolute(r.out)) {
      throw InvalidArgument("--mrc must differ from --out");
    }
    if (world.is_root()) {
      output = std::make_unique<io::AtomicOutput>(r.out);
      mrc = std::make_unique<io::AtomicOutput>(mrc_path);
    }
  });

  runtime::ThreadPool pool(r.threads);
  const spi::MtipData data{input.images.data(), input.count, input.ny * input.nx, input.first, input.n,
                           input.q.data(), input.pixel_factor.data(), input.q_max};
  spi::Mtip mtip(data, options, pool, world);
  if (world.is_root() && options.cuda_device >= 0) {
    spdlog::info("orientation matching on {}", runtime::cuda_device_name(options.cuda_device));
  }
  const std::size_t m = mtip.grid();

  const std::unique_ptr<runtime::Journal> journal = runtime::Journal::open(world, r.out, identity_of(r), r.resume);
  spi::MtipState state;
  runtime::run_phase(world, [&] {
    if (journal->entries().empty()) return;
    const std::vector<std::byte> payload = journal->load(journal->entries().back());
    runtime::PayloadReader in(payload);
    state = load_state(in, m * m * m, input.n);
    if (world.is_root()) spdlog::info("resuming after generation {} of an earlier run", state.generations_done - 1);
  });
  SpiReconstructSummary summary;
  summary.resumed_generations = state.generations_done;
  runtime::Progress progress("spi reconstruct", static_cast<std::size_t>(r.generations), "generations", "images",
                             r.progress && world.is_root());
  progress.advance(static_cast<std::size_t>(std::min(state.generations_done, r.generations)), 0);
  std::vector<runtime::WorkUnitRecord> units;  // one per generation of this rank, for the run record
  while (state.generations_done < r.generations) {
    const double began = runtime::unix_now();
    mtip.run_generation(state);
    units.push_back({world.rank(), fmt::format("generation {}", state.generations_done), began, runtime::unix_now(),
                     input.count * input.ny * input.nx * sizeof(float)});
    const spi::GenerationRecord& g = state.history.back();
    if (world.is_root()) {
      spdlog::info(
          "generation {}: slice {:.2f} s, match {:.2f} s (GEMM {:.2f} s), merge {:.2f} s, phase {:.2f} s; distance "
          "median {:.4g}, orientation change {:.3f} rad, lambda {:g} (residual {:.3f}, {} CG iterations), support {} "
          "voxels, Fourier error {:.3f}",
          g.generation, g.slice_seconds, g.match_seconds, g.gemm_seconds, g.merge_seconds, g.phase_seconds,
          g.distance_median, g.orientation_change, g.lambda, g.merge_residual, g.cg_iterations, g.support,
          g.fourier_error);
      runtime::RunRecorder& record = runtime::RunRecorder::get();
      record.series("fourier_error", g.generation, g.fourier_error);
      record.series("orientation_change_rad", g.generation, g.orientation_change);
      record.metric("generation", g.generation);
    }
    // Rank 0 keeps the checkpoint: every rank holds the same state.
    runtime::run_phase(world, [&] {
      if (!world.is_root()) return;
      runtime::PayloadWriter checkpoint;
      save_state(checkpoint, state);
      journal->replace(static_cast<std::uint64_t>(state.generations_done), checkpoint.bytes());
    });
    progress.advance(1, input.n);
  }
  progress.finish();
  if (world.is_root()) runtime::RunRecorder::get().work_units(units);

  runtime::run_phase(world, [&] {
    if (!world.is_root()) return;
    write_output(r, output->partial_path(), mtip, state, input, r.threads);
    std::vector<float> density(state.density.begin(), state.density.end());
    io::write_mrc(mrc->partial_path(), density, m, m, m, mtip.voxel(), "xpulse spi reconstruct: M-TIP density");
    output->commit();
    mrc->commit();
    runtime::Journal::remove(r.out);
  });

  summary.images = input.n;
  summary.pixels = input.ny * input.nx;
  summary.generations = state.generations_done;
  summary.voxel = mtip.voxel();
  summary.edge_resolution = input.edge_resolution;
  summary.history = state.history;
  summary.mrc = mrc_path;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace

SpiReconstructSummary spi_reconstruct_file(const SpiReconstructRequest& r) {
  return runtime::Journal::guard(r.out, runtime::World::get().is_root(),
                                 [&] { return spi_reconstruct_file_unguarded(r); });
}

}  // namespace xpulse::pipelines
