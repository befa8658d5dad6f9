#include "pipelines/pumpprobe_fit.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "fit/band_fitter.h"
#include "fit/fit_band.h"
#include "fit/fit_maps.h"
#include "io/atomic_output.h"
#include "io/band_plan.h"
#include "io/hdf5.h"
#include "io/parallel_reader.h"
#include "pipelines/pumpprobe_input.h"
#include "runtime/progress.h"
#include "runtime/thread_pool.h"

namespace xpulse::pipelines {
namespace {

constexpr std::size_t kBandBytes = 128u << 20;  // memory of one band of tile rows (two are alive at once)

void write_maps(const fit::FitMaps& maps, const FitRequest& r, const fit::FitProblem& problem,
                const std::string& data_units, const std::string& path) {
  io::Writer w(path);
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
  w.write<float>("/fit/chi2", maps.chi2_reduced, dims, fmt::format("({})^2", data_units));
  w.attribute("/fit/chi2", "description", "reduced chi2: sum of squared residuals / (fitted delays - parameters)");
  w.write<std::uint8_t>("/fit/status", maps.status, dims);
  w.attribute("/fit/status", "codes", std::string(fit::fit_status_legend()));
  w.write<std::uint16_t>("/fit/iterations", maps.iterations, dims);
  w.attribute("/fit", "model", std::string(fit::to_string(maps.model)));
  w.attribute("/fit", "formula",
              maps.model == fit::ModelKind::damped_cosine
                  ? "I(t) = offset + amplitude exp(-damping t) cos(2 pi frequency t + phase), t = delay - t0"
                  : "I(t) = offset + amplitude exp(-damping t) cos(2 pi frequency t + phase) + background "
                    "exp(-t / background_tau), t = delay - t0");
  w.attribute("/fit", "t0_ps", r.options.t0_ps);
  w.attribute("/fit", "fitted_delays", static_cast<double>(problem.t.size()));
  w.attribute("/fit", "max_frequency_thz", static_cast<double>(problem.max_frequency_thz));
  w.attribute("/fit", "tolerance", r.options.lm.tolerance);
  w.attribute("/fit", "max_iterations", static_cast<double>(r.options.lm.max_iterations));
  w.attribute("/fit", "min_snr", r.options.min_snr);
  w.attribute("/fit", "amp_threshold", r.options.amp_threshold);
  w.attribute("/fit", "status_codes", std::string(fit::fit_status_legend()));
  io::write_provenance(w, r.command_line, r.input);
  w.close();
}

}  // namespace

FitSummary fit_pump_probe_file(const FitRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  // Checked again by BandFitter::create; here so that bad options fail before the input is opened.
  if (r.tile_height < 1 || r.tile_width < 1) throw InvalidArgument("--tile must have positive dimensions");
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  r.options.validate();

  const PumpProbeInput input = open_pump_probe_input({r.input, r.data_path, r.delays_path, r.mask_path, r.mask_required});
  const std::size_t ny = input.ny, nx = input.nx;
  const fit::FitProblem problem = fit::FitProblem::make(input.delays_ps, r.options);
  const std::vector<std::uint8_t>& mask = input.mask;
  const std::string& data_units = input.data_units;

  io::AtomicOutput output(r.out);  // fails now, before any fitting, if the output cannot be written

  const std::size_t n = problem.t.size();
  io::ParallelReader stack(r.input, r.data_path, {r.threads, r.allow_missing});
  // Bands of rows aligned to the chunking so that no chunk is read twice (strategy in io/band_plan.h).
  const io::BandPlan plan = io::plan_row_bands(n, ny, nx, stack.read_granule(), r.tile_height, kBandBytes);
  const std::size_t band_rows = plan.band_rows;
  const std::size_t bands = plan.bands;
  if (plan.whole_stack_for_frame_chunks) {
    spdlog::info("'{}' is chunked by whole frames: reading the stack once ({:.2f} GiB as float32)", r.data_path,
                 static_cast<double>(n * ny * nx * sizeof(float)) / (1u << 30));
  }
  fit::FitMaps maps(ny, nx, r.options.model);
  const std::unique_ptr<fit::BandFitter> fitter = fit::BandFitter::create(
      problem, r.options, fit::BandFitterOptions{r.device, r.threads, r.tile_height, r.tile_width, r.gpus});
  spdlog::debug("fitting on {}", fitter->describe());
  runtime::Progress progress("fit", ny * nx, "pixels", "pixels", r.progress);

  // Band b = all fitted delays of rows [b * band_rows, ...), read into one of two buffers while the other
  // band is being fitted (the buffers are pinned when a GPU fits, so its copies run asynchronously).
  const std::size_t band_floats = n * std::min(band_rows, ny) * nx;
  std::array<runtime::HostBuffer, 2> buffers = {fitter->allocate_host(band_floats), fitter->allocate_host(band_floats)};
  auto read_band = [&](std::size_t b) {
    const std::size_t y0 = b * band_rows;
    const std::size_t rows = std::min(band_rows, ny - y0);
    const std::array<std::size_t, 3> offset = {problem.first_delay, y0, 0};
    const std::array<std::size_t, 3> count = {n, rows, nx};
    stack.read<float>(offset, count, buffers[b % 2].data());
  };

  std::size_t fitted = 0;
  const auto fit_start = std::chrono::steady_clock::now();
  std::future<void> next = std::async(std::launch::async, read_band, 0);
  for (std::size_t b = 0; b < bands; ++b) {
    next.get();
    if (b + 1 < bands) next = std::async(std::launch::async, read_band, b + 1);
    const std::size_t y0 = b * band_rows;
    const fit::Band view{buffers[b % 2].data(), std::min(band_rows, ny - y0), nx, y0};
    try {
      fitted += fitter->fit(view, mask.empty() ? nullptr : mask.data(), maps,
                            [&](std::size_t pixels) { progress.advance(pixels, pixels); });
    } catch (...) {
      if (next.valid()) next.wait();  // the reader writes into the other buffer: let it finish first
      throw;
    }
  }
  progress.finish();
  const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - fit_start).count();

  FitSummary s;
  s.out = r.out;
  s.pixels = ny * nx;
  s.data_units = data_units;
  s.data_layout = stack.describe();
  s.bands = bands;
  s.backend = fitter->describe();
  std::vector<float> chi2;
  for (std::size_t i = 0; i < s.pixels; ++i) {
    const auto status = static_cast<fit::FitStatus>(maps.status[i]);
    ++s.status_counts[maps.status[i]];
    if (status == fit::FitStatus::converged) chi2.push_back(maps.chi2_reduced[i]);
  }
  if (maps.no_finite_input()) {
    throw InputError(fmt::format("dataset '{}' has no finite values after t0 in any unmasked pixel (all NaN/Inf)",
                                 r.data_path));
  }
  s.fitted = fitted;
  if (!chi2.empty()) {
    std::nth_element(chi2.begin(), chi2.begin() + static_cast<std::ptrdiff_t>(chi2.size() / 2), chi2.end());
    s.median_chi2_reduced = chi2[chi2.size() / 2];
  }
  s.fit_seconds = fit_seconds;
  s.fits_per_second = fit_seconds > 0 ? static_cast<double>(s.fitted) / fit_seconds : 0.0;

  write_maps(maps, r, problem, data_units, output.partial_path());
  output.commit();
  s.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace xpulse::pipelines
