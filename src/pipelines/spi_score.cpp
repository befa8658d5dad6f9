#include "pipelines/spi_score.h"

#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "runtime/thread_pool.h"
#include "spi/density_score.h"

namespace xpulse::pipelines {
namespace {

struct Density {
  std::vector<double> values;
  std::size_t m = 0;
  double voxel = 0;
};

Density read_density(const io::Reader& reader, const std::string& dataset, const std::string& group) {
  const std::string& path = reader.path();
  const io::DatasetInfo info = reader.info(dataset);
  if (info.dims.size() != 3 || info.dims[0] != info.dims[1] || info.dims[1] != info.dims[2] || info.dims[0] % 2 == 0) {
    throw InputError(fmt::format("'{}' in '{}' must be a cube M^3 with M odd", dataset, path));
  }
  Density d;
  d.m = info.dims[0];
  const auto voxel = reader.numeric_attribute(group, "voxel_size");
  if (!voxel || !(*voxel > 0)) throw InputError(fmt::format("'{}' in '{}' has no voxel_size attribute", group, path));
  d.voxel = *voxel;
  d.values = reader.read<double>(dataset);
  for (double v : d.values) {
    if (!std::isfinite(v)) throw InputError(fmt::format("'{}' in '{}' holds non-finite values", dataset, path));
  }
  return d;
}

}  // namespace

SpiScoreSummary spi_score_file(const SpiScoreRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  if (r.rotations < 1) throw InvalidArgument("--rotations must be >= 1");
  const io::Reader recon_file(r.reconstruction);
  const Density recon = read_density(recon_file, "/reconstruction/density", "/reconstruction");
  const Density truth = read_density(io::Reader(r.truth), "/truth/density", "/truth");
  std::unique_ptr<io::AtomicOutput> output;
  if (!r.out.empty()) output = std::make_unique<io::AtomicOutput>(r.out);
  SpiScoreSummary s;
  s.edge_resolution = recon_file.numeric_attribute("/reconstruction", "edge_resolution").value_or(NAN);
  s.voxel = recon.voxel;
  runtime::ThreadPool pool(r.threads);
  spi::AlignmentOptions options;
  options.coarse_rotations = r.rotations;
  const spi::DensityScore scored =
      spi::score_density(recon.values, recon.m, recon.voxel, truth.values, truth.m, truth.voxel, options, pool);
  const spi::Alignment& aligned = scored.alignment;
  s.cc = aligned.cc;
  s.inverted = aligned.inverted;
  for (int d = 0; d < 3; ++d) s.shift[d] = aligned.shift[d];
  s.fsc = scored.fsc;
  if (output) {
    io::Writer w(output->partial_path());
    const std::vector<std::size_t> shells = {s.fsc.fsc.size()}, cube = {recon.m, recon.m, recon.m};
    w.write<double>("/score/frequency", s.fsc.frequency, shells, "1/angstrom");
    w.write<double>("/score/fsc", s.fsc.fsc, shells);
    w.write<double>("/score/aligned_density", aligned.aligned, cube, "arbitrary");
    w.write<double>("/score/truth_density", scored.truth, cube, "electrons");
    w.write_scalar("/score/cc", s.cc);
    w.write_scalar("/score/resolution", s.fsc.resolution, "angstrom");
    w.write_scalar("/score/edge_resolution", s.edge_resolution, "angstrom");
    w.attribute("/score", "inverted", s.inverted ? 1.0 : 0.0);
    w.attribute("/score", "voxel_size", recon.voxel);
    std::vector<double> q(aligned.rotation.begin(), aligned.rotation.end());
    w.write<double>("/score/rotation", q, std::vector<std::size_t>{4});
    w.write<double>("/score/shift", std::vector<double>(s.shift, s.shift + 3), std::vector<std::size_t>{3}, "voxels");
    io::write_provenance(w, r.command_line, r.reconstruction + " " + r.truth);
    w.close();
    output->commit();
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace xpulse::pipelines
