#include "pipelines/sfx_peaks.h"

#include <chrono>
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "geometry/panel_pixel_map.h"
#include "io/crystfel_geometry.h"
#include "io/geometry_file.h"
#include "io/hdf5.h"
#include "pipelines/jungfrau_input.h"
#include "runtime/devices.h"
#include "runtime/run_recorder.h"
#include "runtime/thread_pool.h"
#include "sfx/cuda_peakfinder8.h"

namespace xpulse::pipelines {
namespace {

double optional_scalar(const io::Reader& reader, const std::string& dataset, double fallback) {
  return reader.exists(dataset) ? reader.read_scalar(dataset) : fallback;
}

bool is_crystfel_geometry(const std::string& path) { return path.ends_with(".geom"); }

// --geometry FILE.geom: peakfinder8 on the panels of a CrystFEL geometry of the stored frames. Pixels that no
// panel covers, that lie in a bad region or on a no_index panel join the mask.
sfx::PeakFinder8 panel_finder(const std::string& path, std::size_t ny, std::size_t nx, std::vector<std::uint8_t>& mask,
                              const sfx::PeakFinderOptions& options, std::size_t& panels) {
  const geometry::PanelDetector detector = io::resolve_panels(io::read_crystfel_geometry(path));
  geometry::PanelPixelMap map = geometry::panel_pixel_map(detector);
  if (static_cast<std::size_t>(map.height) != ny || static_cast<std::size_t>(map.width) != nx) {
    throw InputError(fmt::format("the geometry '{}' describes frames of {}x{} stored pixels; the frames are {}x{}",
                                 path, map.height, map.width, ny, nx));
  }
  if (mask.empty()) mask.assign(ny * nx, 0);
  for (std::size_t k = 0; k < mask.size(); ++k) mask[k] = mask[k] || map.ignored[k];
  panels = detector.panels.size();
  return sfx::PeakFinder8(ny, nx, std::move(map.radius_px), std::move(map.panel), mask, options);
}

}  // namespace

SfxPeaksSummary sfx_peaks_file(const SfxPeaksRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  SfxPeaksRequest r = request;
  r.input = stack_or_run_map(r.input, r.run);  // a European XFEL run: its map, whose frames are at kSfxData
  if (r.input != request.input && r.follow) throw InvalidArgument("--follow reads a file being written, not a run directory");
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  const int cuda_device = runtime::select_cuda_device(r.device, r.cuda_device);
  const bool use_cuda = cuda_device >= 0;
  r.options.validate();
  if (r.min_peaks > r.options.max_peaks) throw InvalidArgument("--min-peaks must not exceed --max-peaks");
  if (r.follow) r.follow_options.validate();
  // The input: a file read once, or one a writer is still extending.
  std::unique_ptr<io::DatasetFollower> follower;
  if (r.follow) {
    follower = std::make_unique<io::DatasetFollower>(
        r.input, kSfxData,
        io::ReaderOptions{r.threads, false, io::OpenMode::normal, input_correction(r.correct, r.threads)},
        r.follow_options);
  }
  // --correct without --follow: the frames come through a correcting parallel reader.
  std::unique_ptr<io::ParallelReader> corrected;
  if (!r.follow && !r.correct.empty()) {
    corrected = std::make_unique<io::ParallelReader>(
        r.input, kSfxData,
        io::ReaderOptions{r.threads, false, io::OpenMode::normal, input_correction(r.correct, r.threads)});
  }
  // Metadata from a reader closed before following: while this process holds the file open, HDF5 shares that
  // handle and the follower's re-opens would not see the file grow.
  std::vector<std::size_t> dims;
  std::vector<std::uint8_t> mask;
  double cx = 0, cy = 0;
  std::vector<std::pair<std::string, double>> geometry;
  std::unique_ptr<io::Reader> whole;  // without --follow: the frames are read through it
  {
    auto meta = std::make_unique<io::Reader>(
        r.input, !follower ? io::OpenMode::normal : (follower->swmr() ? io::OpenMode::swmr : io::OpenMode::unlocked));
    dims = follower ? follower->reader().dims() : meta->info(kSfxData).dims;
    if (dims.size() != 3) {
      throw InputError(fmt::format("'{}' in '{}' has rank {}; expected 3 [frames, y, x]", kSfxData, r.input,
                                   dims.size()));
    }
    if ((!follower && dims[0] == 0) || dims[1] == 0 || dims[2] == 0) {
      throw InputError(fmt::format("'{}' in '{}' holds no frames", kSfxData, r.input));
    }
    if (meta->exists(kSfxDetector + "mask")) {
      const io::DatasetInfo m = meta->info(kSfxDetector + "mask");
      if (m.dims.size() != 2 || m.dims[0] != dims[1] || m.dims[1] != dims[2]) {
        throw InputError(fmt::format("the mask '{}mask' in '{}' is {}; the frames are {}x{}", kSfxDetector, r.input,
                                     m.dims.size() == 2 ? fmt::format("{}x{}", m.dims[0], m.dims[1])
                                                        : fmt::format("of rank {}", m.dims.size()),
                                     dims[1], dims[2]));
      }
      const std::vector<std::uint32_t> bits = meta->read<std::uint32_t>(kSfxDetector + "mask");
      mask.resize(bits.size());
      for (std::size_t k = 0; k < bits.size(); ++k) mask[k] = bits[k] != 0;
    }
    cx = optional_scalar(*meta, kSfxDetector + "beam_center_x", static_cast<double>(dims[2]) / 2);
    cy = optional_scalar(*meta, kSfxDetector + "beam_center_y", static_cast<double>(dims[1]) / 2);
    for (const std::string d : {"distance", "x_pixel_size", "y_pixel_size", "beam_center_x", "beam_center_y"}) {
      if (meta->exists(kSfxDetector + d)) geometry.emplace_back(d, meta->read_scalar(kSfxDetector + d));
    }
    if (!follower) whole = std::move(meta);
  }
  const std::size_t ny = dims[1], nx = dims[2];
  // --geometry: a TOML file (io/geometry_file.h) whose detector values override the CXI file's, or a CrystFEL
  // geometry of the panels.
  SfxPeaksSummary summary;
  const bool panels = is_crystfel_geometry(r.geometry);
  if (!r.geometry.empty() && !panels) {
    const io::ExperimentGeometry g = io::load_geometry(r.input, r.geometry, ny, nx);
    cx = g.detector.beam_center_x_px, cy = g.detector.beam_center_y_px;
    geometry = {{"distance", g.detector.distance_m},
                {"x_pixel_size", g.detector.x_pixel_size_m},
                {"y_pixel_size", g.detector.y_pixel_size_m},
                {"beam_center_x", cx},
                {"beam_center_y", cy}};
  }
  const sfx::PeakFinder8 finder = panels ? panel_finder(r.geometry, ny, nx, mask, r.options, summary.panels)
                                         : sfx::PeakFinder8(ny, nx, cx, cy, mask, r.options);
  const std::size_t batch = std::max<std::size_t>(1, r.frames_per_read);
  std::unique_ptr<sfx::CudaPeakFinder8> cuda_finder;
  if (use_cuda) cuda_finder = std::make_unique<sfx::CudaPeakFinder8>(finder, batch, cuda_device);
  io::AtomicOutput output(r.out);
  std::unique_ptr<io::AtomicOutput> hits_output;
  if (!r.hits_out.empty()) hits_output = std::make_unique<io::AtomicOutput>(r.hits_out);

  const std::size_t max_peaks = r.options.max_peaks, pixels = ny * nx;
  std::vector<std::int32_t> counts;
  std::vector<float> xs, ys, totals;
  std::vector<std::uint8_t> hit;
  std::vector<double> powder(pixels, 0.0);
  std::vector<float> hit_frames;  // kept for --hits-out
  runtime::ThreadPool pool(r.threads);
  summary.centre_x = cx, summary.centre_y = cy;
  summary.device = use_cuda ? "cuda" : "cpu";
  // Frames [first, first + count) in `frames`.
  const auto process = [&](const std::vector<float>& frames, std::size_t first, std::size_t count) {
    counts.resize(first + count, 0);
    hit.resize(first + count, 0);
    xs.resize((first + count) * max_peaks, 0.0f), ys.resize(xs.size(), 0.0f), totals.resize(xs.size(), 0.0f);
    const auto t = std::chrono::steady_clock::now();
    const auto check_finite = [&](std::size_t i) {
      const float* frame = frames.data() + i * pixels;
      for (std::size_t k = 0; k < pixels; ++k) {
        if (!std::isfinite(frame[k]) && (mask.empty() || !mask[k])) {
          throw InputError(fmt::format("frame {} pixel ({}, {}) holds {}", first + i, k / nx, k % nx, frame[k]));
        }
      }
    };
    // On a GPU the passes over every pixel (peakfinder8's steps 1 and 2) run for the whole batch there; the
    // regions around the few candidates are then grown here, in parallel over frames.
    std::vector<std::vector<std::uint32_t>> candidates;
    if (cuda_finder) {
      pool.parallel_for(count, [&](std::size_t i, unsigned) { check_finite(i); });
      candidates = cuda_finder->candidates(frames.data(), count);
    }
    pool.parallel_for(count, [&](std::size_t i, unsigned) {
      const std::size_t j = first + i;
      const float* frame = frames.data() + i * pixels;
      if (!cuda_finder) check_finite(i);
      const std::vector<sfx::Peak> peaks =
          cuda_finder ? finder.peaks_from_candidates(frame, candidates[i]) : finder.find(frame);
      counts[j] = static_cast<std::int32_t>(peaks.size());
      for (std::size_t p = 0; p < peaks.size(); ++p) {
        xs[j * max_peaks + p] = peaks[p].x, ys[j * max_peaks + p] = peaks[p].y;
        totals[j * max_peaks + p] = peaks[p].total_intensity;
      }
      hit[j] = peaks.size() >= r.min_peaks && peaks.size() <= max_peaks;
    });
    summary.find_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    std::size_t batch_hits = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t j = first + i;
      summary.peaks += static_cast<std::size_t>(counts[j]);
      if (!hit[j]) continue;
      ++summary.hits, ++batch_hits;
      const float* frame = frames.data() + i * pixels;
      for (std::size_t k = 0; k < pixels; ++k) powder[k] += mask.empty() || !mask[k] ? frame[k] : 0.0f;
      if (hits_output) hit_frames.insert(hit_frames.end(), frame, frame + pixels);
    }
    // The hit-rate strip chart of the run record: one point per batch, at its last frame.
    runtime::RunRecorder::get().series("hit_rate_percent", static_cast<double>(first + count),
                                       100.0 * static_cast<double>(batch_hits) / static_cast<double>(count));
  };
  std::vector<runtime::WorkUnitRecord> units;  // one per read of frames, for the run record
  const auto process_range = [&](std::size_t from, std::size_t to) {
    for (std::size_t first = from; first < to; first += batch) {
      const std::size_t count = std::min(batch, to - first);
      const std::size_t offset[3] = {first, 0, 0}, size[3] = {count, ny, nx};
      const double began = runtime::unix_now();
      process(follower    ? follower->reader().read<float>(offset, size)
              : corrected ? corrected->read<float>(offset, size)
                          : whole->read<float>(kSfxData, offset, size),
              first, count);
      units.push_back({0, fmt::format("frames {}-{}", first, first + count - 1), began, runtime::unix_now(),
                       count * pixels * sizeof(float)});
    }
  };
  std::size_t n = 0;
  if (follower) {
    while (true) {
      const io::DatasetFollower::Frames f = follower->wait_for_more(n);
      process_range(n, f.available);
      n = std::max(n, f.available);
      if (r.progress && n > 0) {
        fmt::print(stderr, "sfx peaks: {} frames, {} hits ({:.1f}%)\n", n, summary.hits,
                   100.0 * static_cast<double>(summary.hits) / static_cast<double>(n));
      }
      if (f.finished) break;
    }
    if (n == 0) {
      throw InputError(fmt::format("'{}' in '{}' received no frames before the idle timeout", kSfxData, r.input));
    }
    summary.swmr = follower->swmr();
  } else {
    n = dims[0];
    for (std::size_t first = 0; first < n; first += batch) {
      process_range(first, std::min(n, first + batch));
      runtime::RunRecorder::get().progress(static_cast<double>(std::min(n, first + batch)) / static_cast<double>(n));
    }
  }
  runtime::RunRecorder::get().work_units(units);
  summary.frames = n, summary.ny = ny, summary.nx = nx;
  summary.hit_rate = static_cast<double>(summary.hits) / static_cast<double>(n);

  const auto write_results = [&](io::Writer& w, const std::vector<std::size_t>& rows) {
    const std::size_t m = rows.size();
    std::vector<std::int32_t> c(m);
    std::vector<float> x(m * max_peaks), y(m * max_peaks), total(m * max_peaks);
    for (std::size_t a = 0; a < m; ++a) {
      c[a] = counts[rows[a]];
      std::copy_n(xs.begin() + static_cast<std::ptrdiff_t>(rows[a] * max_peaks), max_peaks, x.begin() + static_cast<std::ptrdiff_t>(a * max_peaks));
      std::copy_n(ys.begin() + static_cast<std::ptrdiff_t>(rows[a] * max_peaks), max_peaks, y.begin() + static_cast<std::ptrdiff_t>(a * max_peaks));
      std::copy_n(totals.begin() + static_cast<std::ptrdiff_t>(rows[a] * max_peaks), max_peaks,
                  total.begin() + static_cast<std::ptrdiff_t>(a * max_peaks));
    }
    const std::vector<std::size_t> list = {m, max_peaks};
    w.write<std::int32_t>("/entry_1/result_1/nPeaks", c, std::vector<std::size_t>{m});
    w.write<float>("/entry_1/result_1/peakXPosRaw", x, list, "pixel");
    w.write<float>("/entry_1/result_1/peakYPosRaw", y, list, "pixel");
    w.write<float>("/entry_1/result_1/peakTotalIntensity", total, list, "ADU");
  };
  {
    io::Writer w(output.partial_path());
    std::vector<std::size_t> all(n);
    for (std::size_t j = 0; j < n; ++j) all[j] = j;
    write_results(w, all);
    w.write<std::uint8_t>("/entry_1/result_1/hit", hit, std::vector<std::size_t>{n});
    w.attribute("/entry_1/result_1", "hit_rate", summary.hit_rate);
    w.attribute("/entry_1/result_1", "min_peaks", static_cast<double>(r.min_peaks));
    w.attribute("/entry_1/result_1/peakXPosRaw", "description", "column of each peak's centroid, pixel centres at integers");
    std::vector<float> p(powder.begin(), powder.end());
    w.write<float>("/entry_1/result_1/powder", p, std::vector<std::size_t>{ny, nx}, "ADU");
    w.attribute("/entry_1/result_1/powder", "description", "sum of the hits' frames (masked pixels 0)");
    if (panels) w.attribute("/entry_1/result_1", "geometry", r.geometry);
    io::write_provenance(w, r.command_line, r.input);
    w.close();
  }
  if (hits_output) {
    io::Writer w(hits_output->partial_path());
    std::vector<std::size_t> rows;
    for (std::size_t j = 0; j < n; ++j) {
      if (hit[j]) rows.push_back(j);
    }
    w.write<float>(kSfxData, hit_frames, std::vector<std::size_t>{rows.size(), ny, nx}, "ADU",
                   rows.empty() ? std::vector<std::size_t>{} : std::vector<std::size_t>{1, ny, nx});
    std::vector<std::uint32_t> index(rows.begin(), rows.end());
    w.write<std::uint32_t>("/entry_1/result_1/frame", index, std::vector<std::size_t>{rows.size()});
    w.attribute("/entry_1/result_1/frame", "description", "each hit's frame in the input");
    write_results(w, rows);
    for (const auto& [name, value] : geometry) w.write_scalar(kSfxDetector + name, value);
    if (!mask.empty()) w.write<std::uint8_t>(kSfxDetector + "mask", mask, std::vector<std::size_t>{ny, nx});
    io::write_provenance(w, r.command_line, r.input);
    w.close();
  }
  output.commit();
  if (hits_output) hits_output->commit();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace xpulse::pipelines
