#include "pipelines/ptycho_simulate.h"

#include <chrono>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "io/png_reader.h"
#include "pipelines/ptycho_input.h"
#include "runtime/thread_pool.h"

namespace xpulse::pipelines {

PtychoSimulateSummary simulate_ptycho_file(const PtychoSimulateRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  const sim::PtychoSimOptions& o = r.options;
  o.validate();
  const std::vector<float> pattern = r.object == "siemens"
                                         ? sim::siemens_star(o.object_size)
                                         : io::resample_square(io::read_png_grey(r.object), o.object_size);
  io::AtomicOutput output(r.out);
  runtime::ThreadPool pool(r.threads);
  const sim::PtychoSimulation s = sim::simulate_ptycho(pattern, o, pool);
  const std::size_t frames = o.positions, n = o.probe_size, size = o.object_size;
  const double pixel = o.object_pixel_m();

  io::Writer w(output.partial_path());
  w.write<float>(kCxiData, s.intensities, std::vector<std::size_t>{frames, n, n}, "photons",
                 std::vector<std::size_t>{1, n, n});
  w.attribute(kCxiData, "description", "far-field intensities, zero frequency at pixel (n/2, n/2)");
  w.write_scalar(kCxiDetector + "distance", o.distance_m, "m");
  w.write_scalar(kCxiDetector + "x_pixel_size", o.detector_pixel_m, "m");
  w.write_scalar(kCxiDetector + "y_pixel_size", o.detector_pixel_m, "m");
  w.write_scalar(kCxiEnergy, o.energy_ev * 1.602176634e-19, "J");
  std::vector<double> translation;
  std::vector<std::int32_t> rows_cols;
  for (const ptycho::Position& p : s.positions) {
    translation.insert(translation.end(), {p.col * pixel, p.row * pixel, 0.0});
    rows_cols.insert(rows_cols.end(), {p.row, p.col});
  }
  w.write<double>(kCxiTranslation, translation, std::vector<std::size_t>{frames, 3}, "m");
  w.attribute(kCxiTranslation, "description",
              "sample position (x along detector columns, y along rows, z along the beam) of each frame");
  const std::vector<std::size_t> object_dims = {size, size}, probe_dims = {n, n};
  w.write_complex("/truth/object", s.object, object_dims);
  w.attribute("/truth/object", "description", "transmission (1 - 0.4 s) exp(-0.8 i s) of the pattern s");
  w.write_complex("/truth/probe", s.probe, probe_dims, "sqrt(photons)");
  w.write<std::int32_t>("/truth/positions", rows_cols, std::vector<std::size_t>{frames, 2}, "pixel");
  w.attribute("/truth/positions", "description", "(row, column) of each frame's window in /truth/object");
  w.attribute("/truth", "pixel_size", pixel);
  w.attribute("/truth", "seed", static_cast<double>(o.seed));
  w.attribute("/truth", "photons", o.photons);
  io::write_provenance(w, r.command_line, r.object == "siemens" ? "" : r.object);
  w.close();
  output.commit();

  PtychoSimulateSummary summary;
  summary.frames = frames, summary.n = n, summary.object_size = size;
  summary.step = o.probe_diameter() * (1 - o.overlap);
  summary.pixel_m = pixel;
  double total = 0;
  for (float v : s.intensities) total += v;
  summary.mean_counts = total / static_cast<double>(frames);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace xpulse::pipelines
