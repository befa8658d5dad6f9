#include "pipelines/dispersion.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "runtime/thread_pool.h"

namespace xpulse::pipelines {
namespace {

struct FitInputs {
  std::size_t ny = 0, nx = 0;
  std::vector<float> frequency, frequency_err, amplitude, amplitude_err, chi2;
  std::vector<std::uint8_t> status;
  std::string recorded_input;
};

FitInputs read_fit(const std::string& path) {
  const io::Reader in(path);
  if (!in.exists("/fit/frequency") || !in.exists("/fit/status")) {
    throw InputError(fmt::format("'{}' has no /fit/frequency and /fit/status: not an output of 'xpulse fit'", path));
  }
  FitInputs f;
  const io::DatasetInfo info = in.info("/fit/frequency");
  if (info.dims.size() != 2 || info.dims[0] == 0 || info.dims[1] == 0) {
    throw InputError(fmt::format("'/fit/frequency' in '{}' must be a non-empty [y, x] map", path));
  }
  f.ny = info.dims[0];
  f.nx = info.dims[1];
  auto map = [&](const std::string& name) {
    if (in.info(name).dims != info.dims) {
      throw InputError(fmt::format("'{}' in '{}' does not have the shape of /fit/frequency", name, path));
    }
    return in.read<float>(name);
  };
  f.frequency = map("/fit/frequency");
  f.frequency_err = map("/fit/stderr/frequency");
  f.amplitude = map("/fit/amplitude");
  f.amplitude_err = map("/fit/stderr/amplitude");
  f.chi2 = map("/fit/chi2");
  if (in.info("/fit/status").dims != info.dims) {
    throw InputError(fmt::format("'/fit/status' in '{}' does not have the shape of /fit/frequency", path));
  }
  f.status = in.read<std::uint8_t>("/fit/status");
  f.recorded_input = in.string_attribute("/", "input_files");
  return f;
}

// The simulator's truth, as phonon frequency per pixel (THz), when the geometry source has it.
std::vector<double> read_truth(const std::string& path, std::size_t ny, std::size_t nx) {
  if (path.empty()) return {};
  const io::Reader in(path);
  if (!in.exists("/truth/frequency") || in.info("/truth/frequency").dims != std::vector<std::size_t>{ny, nx}) return {};
  const double harmonic = in.numeric_attribute("/truth", "harmonic").value_or(1.0);
  const std::vector<double> f = in.read<double>("/truth/frequency");
  std::vector<double> phonon(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) phonon[i] = f[i] / harmonic;
  return phonon;
}

void validate_harmonic(int harmonic) {
  if (harmonic < 1) {
    throw InvalidArgument(fmt::format("--harmonic must be a positive integer (1: coherent phonons, 2: squeezed "
                                      "phonons in diffuse scattering), got {}",
                                      harmonic));
  }
}

}  // namespace

DispersionSummary dispersion_file(const DispersionRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  validate_harmonic(r.harmonic);
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  r.quality.validate();
  const FitInputs fit = read_fit(r.fit_file);

  QBinningRequest binning = r.binning;
  binning.geometry_hdf5 = r.data_file;
  if (binning.geometry_hdf5.empty() && !fit.recorded_input.empty()) {
    // The file the fit was made from, as given then (relative to that working directory) or beside the fit.
    namespace fs = std::filesystem;
    const fs::path recorded(fit.recorded_input);
    const fs::path beside = fs::path(r.fit_file).parent_path() / recorded.filename();
    if (fs::exists(recorded)) {
      binning.geometry_hdf5 = recorded.string();
    } else if (fs::exists(beside)) {
      binning.geometry_hdf5 = beside.string();
    } else {
      spdlog::warn("the fit's input '{}' was not found; pass --data FILE for its geometry and truth",
                   fit.recorded_input);
    }
  }
  io::AtomicOutput output(r.out);
  runtime::ThreadPool pool(r.threads);
  const QCoordinates q = resolve_q_coordinates(binning, fit.ny, fit.nx, pool);
  const std::size_t pixels = fit.ny * fit.nx;
  const std::vector<double> truth_map = read_truth(binning.geometry_hdf5, fit.ny, fit.nx);
  const Dispersion d = compute_dispersion(
      FitResultView{fit.frequency, fit.frequency_err, fit.amplitude, fit.amplitude_err, fit.chi2, fit.status}, q,
      binning, r.harmonic, r.quality, truth_map);
  const phonon::BinEdges& edges = d.edges;
  const phonon::BinnedDispersion& binned = d.binned;

  io::Writer w(output.partial_path());
  const std::vector<std::size_t> bins = {edges.count}, map = {fit.ny, fit.nx};
  w.write<double>("/dispersion/q", binned.q_center, bins, "1/angstrom");
  w.attribute("/dispersion/q", "description", fmt::format("bin centres of {}", q.maps.coordinate_label()));
  w.write<double>("/dispersion/q_mean", binned.q_mean, bins, "1/angstrom");
  w.write<double>("/dispersion/frequency", binned.frequency, bins, "THz");
  w.attribute("/dispersion/frequency", "description",
              "phonon frequency f_fit / harmonic: inverse-variance weighted mean over the bin's pixels");
  w.write<double>("/dispersion/frequency_err", binned.frequency_err, bins, "THz");
  w.attribute("/dispersion/frequency_err", "description",
              "standard error of the weighted mean, times the Birge ratio when it exceeds 1");
  w.write<double>("/dispersion/frequency_std", binned.frequency_std, bins, "THz");
  std::vector<std::uint32_t> count(binned.count.begin(), binned.count.end());
  w.write<std::uint32_t>("/dispersion/count", count, bins, "pixels");
  w.write<double>("/dispersion/q_edges", edges.edges(), std::vector<std::size_t>{edges.count + 1}, "1/angstrom");
  if (!d.truth_frequency.empty()) {
    w.write<double>("/dispersion/truth_frequency", d.truth_frequency, bins, "THz");
    w.attribute("/dispersion/truth_frequency", "description",
                "true phonon frequency (/truth/frequency / its harmonic) averaged over the same pixels with the same "
                "weights as /dispersion/frequency");
  }
  w.attribute("/dispersion", "harmonic", static_cast<double>(r.harmonic));
  w.attribute("/dispersion", "selection", r.quality.describe());
  w.attribute("/dispersion", "fit_file", r.fit_file);
  std::vector<float> phonon_f(d.phonon.begin(), d.phonon.end()), phonon_e(d.phonon_err.begin(), d.phonon_err.end());
  w.write<float>("/maps/phonon_frequency", phonon_f, map, "THz");
  w.write<float>("/maps/phonon_frequency_err", phonon_e, map, "THz");
  w.write<std::uint8_t>("/maps/used", d.used, map);
  w.attribute("/maps/used", "description", "1 = pixel passed the selection and entered the dispersion");
  write_q_coordinates(w, q, "/dispersion");
  io::write_provenance(w, r.command_line, r.fit_file + (binning.geometry_hdf5.empty() ? "" : " " + binning.geometry_hdf5));
  w.close();
  output.commit();

  DispersionSummary s;
  s.out = r.out;
  s.geometry_source = q.geometry.description;
  s.coordinate = q.maps.coordinate_label();
  s.pixels = pixels;
  for (auto u : d.used) s.used += u;
  s.bins = edges.count;
  s.q_hi = edges.hi;
  s.truth = !d.truth_frequency.empty();
  s.frequency_min = std::numeric_limits<double>::infinity();
  s.frequency_max = -s.frequency_min;
  for (std::size_t b = 0; b < edges.count; ++b) {
    if (binned.count[b] == 0) continue;
    ++s.populated_bins;
    s.frequency_min = std::min(s.frequency_min, binned.frequency[b]);
    s.frequency_max = std::max(s.frequency_max, binned.frequency[b]);
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

Dispersion compute_dispersion(const FitResultView& fit, const QCoordinates& q, const QBinningRequest& binning,
                              int harmonic, const phonon::FitQuality& quality, std::span<const double> truth_phonon) {
  validate_harmonic(harmonic);
  quality.validate();
  const std::size_t pixels = q.maps.coordinate.size();
  for (std::size_t n : {fit.frequency.size(), fit.frequency_err.size(), fit.amplitude.size(), fit.amplitude_err.size(),
                        fit.chi2.size(), fit.status.size()}) {
    if (n != pixels) {
      throw InputError(fmt::format("the fit results have {} pixels but the detector has {}", n, pixels));
    }
  }
  if (!truth_phonon.empty() && truth_phonon.size() != pixels) {
    throw InputError(fmt::format("the truth map has {} pixels but the detector has {}", truth_phonon.size(), pixels));
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Dispersion d;
  d.used.resize(pixels);
  d.phonon.assign(pixels, nan);
  d.phonon_err.assign(pixels, nan);
  for (std::size_t i = 0; i < pixels; ++i) {
    d.used[i] = quality.accepts(fit.status[i], fit.chi2[i], fit.amplitude[i], fit.amplitude_err[i], fit.frequency[i],
                                fit.frequency_err[i]) &&
                std::isfinite(q.maps.coordinate[i]);
    if (std::isfinite(fit.frequency[i])) {
      d.phonon[i] = fit.frequency[i] / harmonic;
      d.phonon_err[i] = fit.frequency_err[i] / harmonic;
    }
  }
  d.edges = choose_bins(binning, q, d.used);
  d.coordinate.assign(pixels, nan);
  for (std::size_t i = 0; i < pixels; ++i) {
    if (d.used[i]) d.coordinate[i] = q.maps.coordinate[i];
  }
  d.binned = phonon::bin_dispersion(d.edges, d.coordinate, d.phonon, d.phonon_err);
  if (!truth_phonon.empty()) {
    // Weighted exactly like the measurement, so that the two differ only by the fit's errors.
    d.truth_frequency = phonon::bin_dispersion(d.edges, d.coordinate, truth_phonon, d.phonon_err).frequency;
  }
  return d;
}

}  // namespace xpulse::pipelines
