#include "pipelines/ptycho_score.h"

#include <chrono>
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"

namespace xpulse::pipelines {
namespace {

std::vector<ptycho::Position> read_positions(const io::Reader& reader, const std::string& dataset) {
  const io::DatasetInfo info = reader.info(dataset);
  if (info.dims.size() != 2 || info.dims[1] != 2) {
    throw InputError(fmt::format("'{}' in '{}' must be [frames, 2]", dataset, reader.path()));
  }
  const std::vector<double> v = reader.read<double>(dataset);
  std::vector<ptycho::Position> out;
  for (std::size_t j = 0; j < info.dims[0]; ++j) {
    out.push_back({static_cast<int>(std::lround(v[2 * j])), static_cast<int>(std::lround(v[2 * j + 1]))});
  }
  return out;
}

std::vector<std::size_t> dims_2d(const io::Reader& reader, const std::string& dataset) {
  const io::DatasetInfo info = reader.info(dataset);
  if (info.dims.size() != 2) throw InputError(fmt::format("'{}' in '{}' must be 2D", dataset, reader.path()));
  return info.dims;
}

}  // namespace

PtychoScoreSummary ptycho_score_file(const PtychoScoreRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  const io::Reader recon_file(r.reconstruction), truth_file(r.truth);
  const auto recon_dims = dims_2d(recon_file, "/reconstruction/object");
  const auto truth_dims = dims_2d(truth_file, "/truth/object");
  const auto probe_dims = dims_2d(truth_file, "/truth/probe");
  const std::vector<ptycho::cfloat> recon = recon_file.read_complex("/reconstruction/object");
  const std::vector<ptycho::cfloat> truth = truth_file.read_complex("/truth/object");
  const std::vector<ptycho::cfloat> probe = truth_file.read_complex("/truth/probe");
  const auto recon_positions = read_positions(recon_file, "/reconstruction/positions");
  const auto truth_positions = read_positions(truth_file, "/truth/positions");
  if (recon_positions.size() != truth_positions.size() || recon_positions.empty()) {
    throw InputError(fmt::format("'{}' has {} positions and '{}' {}: not a reconstruction of this scan",
                                 r.reconstruction, recon_positions.size(), r.truth, truth_positions.size()));
  }
  // The reconstruction's pixel (y, x) is the truth's (y + dy, x + dx).
  const int dy = truth_positions[0].row - recon_positions[0].row, dx = truth_positions[0].col - recon_positions[0].col;
  for (std::size_t j = 0; j < recon_positions.size(); ++j) {
    if (truth_positions[j].row - recon_positions[j].row != dy || truth_positions[j].col - recon_positions[j].col != dx) {
      throw InputError(fmt::format("position {} of '{}' does not match the truth's scan", j, r.reconstruction));
    }
  }
  const std::size_t ny = truth_dims[0], nx = truth_dims[1], n = probe_dims[0];
  std::unique_ptr<io::AtomicOutput> output;
  if (!r.out.empty()) output = std::make_unique<io::AtomicOutput>(r.out);
  std::vector<std::uint8_t> region = ptycho::illuminated_region(probe, n, truth_positions, ny, nx, 0.1);
  std::vector<ptycho::cfloat> placed(ny * nx, ptycho::cfloat(0, 0));
  for (std::size_t y = 0; y < ny; ++y) {
    for (std::size_t x = 0; x < nx; ++x) {
      const long ry = static_cast<long>(y) - dy, rx = static_cast<long>(x) - dx;
      const bool inside = ry >= 0 && rx >= 0 && ry < static_cast<long>(recon_dims[0]) && rx < static_cast<long>(recon_dims[1]);
      if (inside) placed[y * nx + x] = recon[static_cast<std::size_t>(ry) * recon_dims[1] + static_cast<std::size_t>(rx)];
      else region[y * nx + x] = 0;
    }
  }
  const ptycho::ObjectScore score = ptycho::score_object(placed, truth, region, ny, nx, r.remove_ramp, r.remove_shift);
  if (output) {
    io::Writer w(output->partial_path());
    const std::vector<std::size_t> dims = {ny, nx};
    w.write_complex("/score/corrected_object", score.corrected, dims);
    w.write<std::uint8_t>("/score/region", region, dims);
    w.write_scalar("/score/error", score.error);
    w.write_scalar("/score/phase_ssim", score.phase_ssim);
    w.write<double>("/score/ramp", std::vector<double>{score.ramp[0], score.ramp[1]}, std::vector<std::size_t>{2},
                    "rad/pixel");
    w.write<double>("/score/shift", std::vector<double>{score.shift[0], score.shift[1]}, std::vector<std::size_t>{2},
                    "pixel");
    w.attribute("/score/shift", "description", "translation applied to the reconstruction (rows, columns)");
    io::write_provenance(w, r.command_line, r.reconstruction + " " + r.truth);
    w.close();
    output->commit();
  }
  PtychoScoreSummary s;
  s.error = score.error, s.phase_ssim = score.phase_ssim, s.factor = score.factor, s.pixels = score.pixels;
  s.ramp[0] = score.ramp[0], s.ramp[1] = score.ramp[1];
  s.shift[0] = score.shift[0], s.shift[1] = score.shift[1];
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace xpulse::pipelines
