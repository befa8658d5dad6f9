#include "pipelines/sfx_process.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/geometry_file.h"
#include "io/hdf5.h"
#include "pipelines/job_identity.h"
#include "pipelines/sfx_peaks.h"
#include "pipelines/sfx_stream.h"
#include "pipelines/still_result_payload.h"
#include "runtime/devices.h"
#include "runtime/progress.h"
#include "runtime/run_recorder.h"
#include "runtime/thread_pool.h"
#include "runtime/work_queue.h"
#include "runtime/world.h"
#include "sfx/cuda_peakfinder8.h"

namespace xpulse::pipelines {
namespace {

struct Input {
  std::size_t n = 0, ny = 0, nx = 0;
  std::vector<std::uint8_t> mask;
  io::ExperimentGeometry geometry;
  double adu_per_photon = 1;
  bool has_gain = false;
};

Input open_input(const io::Reader& reader, const SfxProcessRequest& r) {
  Input in;
  if (!reader.exists(kSfxData)) throw InputError(fmt::format("'{}' has no frames at '{}'", r.input, kSfxData));
  const std::vector<std::size_t> dims = reader.info(kSfxData).dims;
  if (dims.size() != 3) {
    throw InputError(fmt::format("'{}' in '{}' has rank {}; expected 3 [frames, y, x]", kSfxData, r.input, dims.size()));
  }
  if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0) {
    throw InputError(fmt::format("'{}' in '{}' holds no frames", kSfxData, r.input));
  }
  in.n = dims[0], in.ny = dims[1], in.nx = dims[2];
  if (reader.exists(kSfxDetector + "mask")) {
    const io::DatasetInfo m = reader.info(kSfxDetector + "mask");
    if (m.dims.size() != 2 || m.dims[0] != in.ny || m.dims[1] != in.nx) {
      throw InputError(fmt::format("the mask '{}mask' in '{}' does not match the {}x{} frames", kSfxDetector, r.input,
                                   in.ny, in.nx));
    }
    const std::vector<std::uint32_t> bits = reader.read<std::uint32_t>(kSfxDetector + "mask");
    in.mask.resize(bits.size());
    for (std::size_t k = 0; k < bits.size(); ++k) in.mask[k] = bits[k] != 0;
  }
  in.geometry = io::load_geometry(r.input, r.geometry, in.ny, in.nx);
  in.has_gain = reader.exists(kSfxDetector + "adu_per_photon");
  in.adu_per_photon = in.has_gain ? reader.read_scalar(kSfxDetector + "adu_per_photon") : 1.0;
  if (!(in.adu_per_photon > 0) || !std::isfinite(in.adu_per_photon)) {
    throw InputError(fmt::format("'{}adu_per_photon' in '{}' must be a positive number, got {}", kSfxDetector, r.input,
                                 in.adu_per_photon));
  }
  return in;
}

// The columns of the output, filled frame by frame in frame order.
struct Tables {
  std::vector<std::uint32_t> l_frame, l_lattice, n_peaks, n_indexed;
  std::vector<double> ub, cell, rms, radius;
  std::vector<std::uint32_t> r_frame, r_lattice;
  std::vector<std::int32_t> hkl;
  std::vector<double> intensity, sigma, background, x, y, partiality, d;
  std::vector<std::uint8_t> flags;
  std::vector<std::uint32_t> f_peaks, p_frame;
  std::vector<float> p_x, p_y, p_total;
  std::vector<std::int32_t> p_lattice;
  std::vector<std::uint8_t> f_hit, f_lattices;

  void add(std::uint32_t frame, const sfx::StillResult& s) {
    f_peaks.push_back(static_cast<std::uint32_t>(s.peaks.size()));
    f_hit.push_back(s.hit);
    f_lattices.push_back(static_cast<std::uint8_t>(s.lattices.size()));
    const std::size_t first_peak = p_frame.size();
    for (const sfx::Peak& p : s.peaks) {
      p_frame.push_back(frame), p_x.push_back(p.x), p_y.push_back(p.y), p_total.push_back(p.total_intensity);
      p_lattice.push_back(-1);
    }
    for (std::size_t l = 0; l < s.lattices.size(); ++l) {
      for (auto k : s.lattices[l].peaks) p_lattice[first_peak + k] = static_cast<std::int32_t>(l);
    }
    for (std::size_t l = 0; l < s.lattices.size(); ++l) {
      const sfx::StillLattice& a = s.lattices[l];
      l_frame.push_back(frame), l_lattice.push_back(static_cast<std::uint32_t>(l));
      n_peaks.push_back(static_cast<std::uint32_t>(s.peaks.size()));
      n_indexed.push_back(static_cast<std::uint32_t>(a.n_indexed));
      for (const auto& row : a.ub) ub.insert(ub.end(), row.begin(), row.end());
      cell.insert(cell.end(), {a.cell.a, a.cell.b, a.cell.c, a.cell.alpha, a.cell.beta, a.cell.gamma});
      rms.push_back(a.rms_px), radius.push_back(a.profile_radius);
    }
    for (const sfx::StillReflection& r : s.reflections) {
      r_frame.push_back(frame), r_lattice.push_back(r.lattice);
      hkl.insert(hkl.end(), r.predicted.hkl.begin(), r.predicted.hkl.end());
      intensity.push_back(r.spot.intensity), sigma.push_back(r.spot.sigma), background.push_back(r.spot.background);
      x.push_back(r.predicted.x), y.push_back(r.predicted.y), partiality.push_back(r.predicted.partiality);
      d.push_back(r.predicted.d), flags.push_back(r.spot.flags);
    }
  }
};

void write_tables(io::Writer& w, const Tables& t, std::size_t frames) {
  const std::vector<std::size_t> l = {t.l_frame.size()}, r = {t.r_frame.size()}, n = {frames};
  w.write<std::uint32_t>("/indexing/frame", t.l_frame, l);
  w.write<std::uint32_t>("/indexing/lattice", t.l_lattice, l);
  w.write<double>("/indexing/ub", t.ub, std::vector<std::size_t>{l[0], 3, 3}, "1/angstrom");
  w.attribute("/indexing/ub", "description",
              "columns a*, b*, c* in the lab frame (z along the beam, x along detector columns, y along rows), no "
              "2 pi: the scattering vector of reflection h is s = UB h");
  w.write<double>("/indexing/cell", t.cell, std::vector<std::size_t>{l[0], 6});
  w.attribute("/indexing/cell", "description", "refined a, b, c (angstrom), alpha, beta, gamma (degree)");
  w.write<std::uint32_t>("/indexing/n_peaks", t.n_peaks, l);
  w.write<std::uint32_t>("/indexing/n_indexed", t.n_indexed, l);
  w.write<double>("/indexing/rms_px", t.rms, l, "pixel");
  w.write<double>("/indexing/profile_radius", t.radius, l, "1/angstrom");
  w.write<std::uint32_t>("/reflections/frame", t.r_frame, r);
  w.write<std::uint32_t>("/reflections/lattice", t.r_lattice, r);
  w.write<std::int32_t>("/reflections/hkl", t.hkl, std::vector<std::size_t>{r[0], 3});
  w.write<double>("/reflections/intensity", t.intensity, r, "photons");
  w.write<double>("/reflections/sigma", t.sigma, r, "photons");
  w.write<double>("/reflections/background", t.background, r, "photons per pixel");
  w.write<double>("/reflections/x", t.x, r, "pixel");
  w.write<double>("/reflections/y", t.y, r, "pixel");
  w.write<double>("/reflections/partiality", t.partiality, r);
  w.write<double>("/reflections/d", t.d, r, "angstrom");
  w.write<std::uint8_t>("/reflections/flags", t.flags, r);
  w.attribute("/reflections/flags", "description",
              "bits: 1 masked pixel in the peak disc, 2 saturated, 4 off the detector edge, 8 no background");
  const std::vector<std::size_t> p = {t.p_frame.size()};
  w.write<std::uint32_t>("/peaks/frame", t.p_frame, p);
  w.write<float>("/peaks/x", t.p_x, p, "pixel");
  w.write<float>("/peaks/y", t.p_y, p, "pixel");
  w.write<float>("/peaks/total_intensity", t.p_total, p, "ADU");
  w.write<std::int32_t>("/peaks/lattice", t.p_lattice, p);
  w.attribute("/peaks/lattice", "description", "the lattice of its frame that indexed the peak, -1 for none");
  w.write<std::uint32_t>("/frames/n_peaks", t.f_peaks, n);
  w.write<std::uint8_t>("/frames/hit", t.f_hit, n);
  w.write<std::uint8_t>("/frames/lattices", t.f_lattices, n);
}

// What a journal of this job must match to be resumed: the input and every option that changes the results.
std::string process_identity(const SfxProcessRequest& r, const sfx::StillProcessorOptions& o, std::size_t batch) {
  nlohmann::json j = job_identity("sfx process", r.input);
  j["cell"] = r.cell, j["centering"] = r.centering, j["partiality"] = r.partiality, j["int_radius"] = r.int_radius;
  j["bandwidth"] = o.prediction.bandwidth, j["tolerance"] = o.indexer.tolerance, j["multi"] = o.max_lattices;
  j["min_peaks"] = o.min_peaks, j["geometry"] = r.geometry, j["frames_per_read"] = batch;
  const sfx::PeakFinderOptions& p = o.peaks;
  j["peaks"] = {p.threshold, p.min_snr, p.min_pixels, p.max_pixels, p.local_bg_radius, p.min_res, p.max_res,
                p.max_peaks};
  return j.dump();
}

// The GPU's part with --device cuda: peakfinder8's passes over every pixel for a whole batch at a time, and step 1
// of the indexing (the processor's DirectionScorer).
struct GpuPath {
  std::shared_ptr<sfx::CudaDirectionScores> scores;
  std::unique_ptr<sfx::CudaPeakFinder8> finder;

  sfx::DirectionScorer scorer() const {
    if (!scores) return {};
    return [s = scores](const sfx::ScorePeaks& p, double length, std::size_t n) { return s->scores(p, length, n); };
  }
};

// Frames [first, first + count) read and processed on the pool; a non-finite unmasked pixel is an InputError.
std::vector<sfx::StillResult> process_batch(const io::Reader& reader, const Input& in,
                                            const sfx::StillProcessor& processor, GpuPath& gpu,
                                            runtime::ThreadPool& pool, std::size_t first, std::size_t count) {
  const std::size_t pixels = in.ny * in.nx;
  const std::size_t offset[3] = {first, 0, 0}, size[3] = {count, in.ny, in.nx};
  const std::vector<float> frames = reader.read<float>(kSfxData, offset, size);
  pool.parallel_for(count, [&](std::size_t i, unsigned) {
    const float* frame = frames.data() + i * pixels;
    for (std::size_t k = 0; k < pixels; ++k) {
      if (!std::isfinite(frame[k]) && (in.mask.empty() || !in.mask[k])) {
        throw InputError(fmt::format("frame {} pixel ({}, {}) holds {}", first + i, k / in.nx, k % in.nx, frame[k]));
      }
    }
  });
  // The GPU's candidates give the CPU's peak lists (sfx/cuda_peakfinder8.h).
  std::vector<std::vector<std::uint32_t>> candidates;
  if (gpu.finder) candidates = gpu.finder->candidates(frames.data(), count);
  std::vector<sfx::StillResult> results(count);
  pool.parallel_for(count, [&](std::size_t i, unsigned) {
    const float* frame = frames.data() + i * pixels;
    results[i] = gpu.finder ? processor.process_peaks(frame, processor.finder().peaks_from_candidates(frame, candidates[i]))
                            : processor.process(frame);
  });
  return results;
}

void count_into(SfxProcessSummary& summary, const sfx::StillResult& s, std::vector<double>& indexed_peaks,
                std::vector<double>& rms) {
  summary.hits += s.hit;
  summary.indexed_frames += !s.lattices.empty();
  summary.lattices += s.lattices.size();
  summary.reflections += s.reflections.size();
  for (const auto& l : s.lattices) indexed_peaks.push_back(static_cast<double>(l.n_indexed)), rms.push_back(l.rms_px);
}

// Rank 0: every rank's journaled batches, in frame order, into the tables, the stream and the summary; the
// output files written and committed.
void join_batches(const SfxProcessRequest& r, const Input& in, const geometry::UnitCell& cell,
                  sfx::Centering centering, const sfx::StillProcessorOptions& options, std::size_t batch,
                  std::size_t units, int rank, SfxProcessSummary& summary) {
  const runtime::Journal all(r.out, process_identity(r, options, batch), rank);
  std::vector<const runtime::Journal::Entry*> by_unit(units, nullptr);
  for (const runtime::Journal::Entry& e : all.entries()) {
    if (e.unit < units && !by_unit[e.unit]) by_unit[e.unit] = &e;
  }
  io::AtomicOutput output(r.out);
  std::unique_ptr<io::AtomicOutput> stream_output;
  std::unique_ptr<StreamWriter> stream;
  if (!r.stream.empty()) {
    stream_output = std::make_unique<io::AtomicOutput>(r.stream);
    stream = std::make_unique<StreamWriter>(stream_output->partial_path(), r.input, in.geometry.detector, cell,
                                            centering, r.command_line, in.adu_per_photon);
  }
  Tables tables;
  std::vector<double> indexed_peaks, rms;
  for (std::size_t u = 0; u < units; ++u) {
    if (!by_unit[u]) throw Error(fmt::format("frames {}.. of '{}' were not processed", u * batch, r.input));
    const std::vector<std::byte> bytes = all.load(*by_unit[u]);
    runtime::PayloadReader payload(bytes);
    const std::vector<sfx::StillResult> results = load_still_results(payload);
    for (std::size_t i = 0; i < results.size(); ++i) {
      tables.add(static_cast<std::uint32_t>(u * batch + i), results[i]);
      if (stream) stream->chunk(u * batch + i, results[i]);
      count_into(summary, results[i], indexed_peaks, rms);
    }
  }
  if (!indexed_peaks.empty()) {
    std::nth_element(indexed_peaks.begin(), indexed_peaks.begin() + static_cast<std::ptrdiff_t>(indexed_peaks.size() / 2),
                     indexed_peaks.end());
    summary.median_indexed_peaks = indexed_peaks[indexed_peaks.size() / 2];
    double sum = 0;
    for (double v : rms) sum += v;
    summary.mean_rms_px = sum / static_cast<double>(rms.size());
  }
  io::Writer w(output.partial_path());
  write_tables(w, tables, in.n);
  io::write_geometry(w, in.geometry);
  w.attribute("/indexing", "cell", r.cell);
  w.attribute("/indexing", "centering", std::string(1, sfx::centering_letter(centering)));
  w.attribute("/indexing", "partiality", r.partiality);
  w.attribute("/indexing", "int_radius", r.int_radius);
  w.attribute("/indexing", "bandwidth", options.prediction.bandwidth);
  w.attribute("/indexing", "adu_per_photon", in.adu_per_photon);
  w.attribute("/indexing", "threshold_adu", static_cast<double>(options.peaks.threshold));
  w.attribute("/indexing", "max_lattices", static_cast<double>(options.max_lattices));
  io::write_provenance(w, r.command_line, r.input);
  w.close();
  if (stream) stream->close();
  output.commit();
  if (stream_output) stream_output->commit();
}

SfxProcessSummary sfx_process_unguarded(const SfxProcessRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  runtime::World& world = runtime::World::get();
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  if (r.frames_per_read < 1) throw InvalidArgument("--frames-per-read must be >= 1");
  if (r.cell.empty()) throw InvalidArgument("--cell is required: a,b,c,alpha,beta,gamma in Angstrom and degrees");
  const geometry::UnitCell cell = sfx::parse_cell(r.cell);
  const sfx::Centering centering = sfx::parse_centering(r.centering);
  sfx::check_centering(cell, centering);
  sfx::StillProcessorOptions options = r.options;
  options.prediction.model = sfx::parse_partiality_model(r.partiality);
  options.integration.radii = sfx::parse_ring_radii(r.int_radius);
  options.validate();
  if (!r.stream.empty() && r.stream == r.out) throw InvalidArgument("--stream and --out must be different files");
  const int cuda_device = runtime::select_cuda_device(r.device, r.cuda_device);
  const std::size_t batch = r.frames_per_read;

  std::unique_ptr<io::Reader> reader;
  Input in;
  std::unique_ptr<sfx::StillProcessor> processor;
  GpuPath gpu;
  runtime::run_phase(world, [&] {
    reader = std::make_unique<io::Reader>(r.input);
    in = open_input(*reader, r);
    options.integration.adu_per_photon = in.adu_per_photon;
    // A threshold in photons when the file states its gain: 800 ADU (peakfinder8's usual) is 40 photons at 20 ADU
    // per photon and loses most spots of a weak still.
    if (!r.threshold_given && in.has_gain) {
      options.peaks.threshold = static_cast<float>(SfxProcessRequest::kDefaultThresholdPhotons * in.adu_per_photon);
    }
    if (cuda_device >= 0) gpu.scores = std::make_shared<sfx::CudaDirectionScores>(cuda_device);
    processor = std::make_unique<sfx::StillProcessor>(in.geometry.detector, in.mask, cell, centering, options,
                                                      gpu.scorer());
    if (cuda_device >= 0) gpu.finder = std::make_unique<sfx::CudaPeakFinder8>(processor->finder(), batch, cuda_device);
    // Checked now so that a bad output path fails before the work.
    if (world.is_root()) io::AtomicOutput probe(r.out);
  });

  // Batches of frames are the work units: pulled from rank 0 by every rank and journaled when done.
  const std::size_t units = (in.n + batch - 1) / batch;
  const std::unique_ptr<runtime::Journal> journal =
      runtime::Journal::open(world, r.out, process_identity(r, options, batch), r.resume);
  std::vector<char> done(units, 0);
  for (const runtime::Journal::Entry& e : journal->entries()) {
    if (e.unit < units) done[e.unit] = 1;
  }
  std::vector<std::size_t> todo;
  for (std::size_t u = 0; u < units; ++u) {
    if (!done[u]) todo.push_back(u);
  }
  SfxProcessSummary summary;
  summary.resumed_frames = std::min(in.n, (units - todo.size()) * batch);
  runtime::ThreadPool pool(r.threads);
  runtime::Progress progress("sfx process", in.n, "frames", "frames", r.progress && world.is_root());
  const auto frames_of = [&](std::size_t u) { return std::min(batch, in.n - u * batch); };
  progress.advance(summary.resumed_frames, 0);
  runtime::run_phase(world, [&] {
    runtime::WorkQueue queue(world, todo, [&](std::size_t u) {
      progress.advance(frames_of(u), frames_of(u));
    });
    while (const std::optional<std::size_t> u = queue.next()) {
      if (world.failure_announced()) throw runtime::StoppedByOtherRank();
      const std::vector<sfx::StillResult> results =
          process_batch(*reader, in, *processor, gpu, pool, *u * batch, frames_of(*u));
      runtime::PayloadWriter payload;
      save_still_results(results, payload);
      journal->append(*u, payload.bytes());
      queue.finished(*u);
    }
  });
  progress.finish();

  // Rank 0 joins every rank's batches, in frame order, into the tables and the stream.
  runtime::run_phase(world, [&] {
    if (world.is_root()) join_batches(r, in, cell, centering, options, batch, units, world.rank(), summary);
  });
  if (world.is_root()) runtime::Journal::remove(r.out);
  runtime::RunRecorder::get().progress(1.0);
  summary.frames = in.n, summary.ny = in.ny, summary.nx = in.nx;
  summary.distribution = world.describe();
  const std::string note = runtime::cpu_fallback_note(r.device);
  summary.device = cuda_device >= 0 ? runtime::cuda_device_name(cuda_device) : note.empty() ? "CPU" : "CPU; " + note;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace

SfxProcessSummary sfx_process_file(const SfxProcessRequest& request) {
  return runtime::Journal::guard(request.out, runtime::World::get().is_root(),
                                 [&] { return sfx_process_unguarded(request); });
}

}  // namespace xpulse::pipelines
