#include "pipelines/ptycho_input.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "io/hdf5.h"

namespace xpulse::pipelines {
namespace {

constexpr double kHcJouleMetre = 1.98644586e-25;  // h c
constexpr double kElectronVolt = 1.602176634e-19;

double positive_scalar(const io::Reader& reader, const std::string& dataset) {
  if (!reader.exists(dataset)) {
    throw InputError(fmt::format("'{}' has no '{}', which the scan geometry needs", reader.path(), dataset));
  }
  const double v = reader.read_scalar(dataset);
  if (!(v > 0) || !std::isfinite(v)) {
    throw InputError(fmt::format("'{}' in '{}' must be a positive number, found {}", dataset, reader.path(), v));
  }
  return v;
}

}  // namespace

PtychoInput read_ptycho_input(const std::string& path, int part, int parts, std::size_t only_first,
                              io::OpenMode mode, bool with_frames) {
  const io::Reader reader(path, mode);
  PtychoInput in;
  const io::DatasetInfo info = reader.info(kCxiData);
  if (info.dims.size() != 3) {
    throw InputError(fmt::format("'{}' in '{}' has rank {}; expected 3 [frames, y, x]", kCxiData, path,
                                 info.dims.size()));
  }
  in.frames = info.dims[0], in.n = info.dims[1];
  if (in.frames == 0 || in.n == 0 || info.dims[2] == 0) throw InputError(fmt::format("'{}' in '{}' is empty", kCxiData, path));
  if (info.dims[1] != info.dims[2]) {
    throw InputError(fmt::format("the frames in '{}' are {}x{}; ptychography here needs square frames", path,
                                 info.dims[1], info.dims[2]));
  }
  if (!reader.exists(kCxiTranslation)) {
    throw InputError(fmt::format("'{}' has no scan translations ('{}')", path, kCxiTranslation));
  }
  const io::DatasetInfo t = reader.info(kCxiTranslation);
  if (t.dims.size() != 2 || t.dims[1] != 3) {
    throw InputError(fmt::format("'{}' in '{}' must be [frames, 3]", kCxiTranslation, path));
  }
  if (only_first > 0) {
    if (only_first > in.frames || only_first > t.dims[0]) {
      throw InputError(fmt::format("'{}' holds {} frames and {} translations, fewer than the {} asked for", path,
                                   in.frames, t.dims[0], only_first));
    }
    in.frames = only_first;
  } else if (t.dims[0] != in.frames) {
    throw InputError(fmt::format("'{}' has {} frames but {} translations", path, in.frames, t.dims[0]));
  }
  in.distance_m = positive_scalar(reader, kCxiDetector + "distance");
  in.detector_pixel_m = positive_scalar(reader, kCxiDetector + "x_pixel_size");
  if (reader.exists(kCxiDetector + "y_pixel_size") &&
      std::abs(reader.read_scalar(kCxiDetector + "y_pixel_size") - in.detector_pixel_m) > 1e-9 * in.detector_pixel_m) {
    throw InputError(fmt::format("the detector pixels in '{}' are not square", path));
  }
  // CXI gives the energy in J; a file that says eV (or holds an X-ray energy in eV) is read as such.
  double energy = positive_scalar(reader, kCxiEnergy);
  const std::string units = reader.string_attribute(kCxiEnergy, "units");
  if (units == "eV" || (units.empty() && energy > 1e-10)) energy *= kElectronVolt;
  in.wavelength_m = kHcJouleMetre / energy;
  in.pixel_m = in.wavelength_m * in.distance_m / (static_cast<double>(in.n) * in.detector_pixel_m);

  const std::size_t t_offset[2] = {0, 0}, t_count[2] = {in.frames, 3};
  const std::vector<double> translation = reader.read<double>(kCxiTranslation, t_offset, t_count);
  double min_x = INFINITY, min_y = INFINITY;
  for (std::size_t j = 0; j < in.frames; ++j) {
    const double x = translation[3 * j], y = translation[3 * j + 1];
    if (!std::isfinite(x) || !std::isfinite(y)) {
      throw InputError(fmt::format("translation {} in '{}' is not finite", j, path));
    }
    min_x = std::min(min_x, x), min_y = std::min(min_y, y);
  }
  int max_row = 0, max_col = 0;
  for (std::size_t j = 0; j < in.frames; ++j) {
    const auto col = static_cast<int>(std::lround((translation[3 * j] - min_x) / in.pixel_m));
    const auto row = static_cast<int>(std::lround((translation[3 * j + 1] - min_y) / in.pixel_m));
    in.positions.push_back({row, col});
    max_row = std::max(max_row, row), max_col = std::max(max_col, col);
  }
  in.object_ny = static_cast<std::size_t>(max_row) + in.n;
  in.object_nx = static_cast<std::size_t>(max_col) + in.n;
  constexpr std::size_t kLargestObject = 1u << 15;
  if (in.object_ny > kLargestObject || in.object_nx > kLargestObject) {
    throw InputError(fmt::format("the translations in '{}' span a {}x{} pixel object at {:.3g} m per pixel: wrong "
                                 "units?", path, in.object_ny, in.object_nx, in.pixel_m));
  }
  if (reader.exists(kCxiDetector + "mask")) {
    const io::DatasetInfo m = reader.info(kCxiDetector + "mask");
    if (m.dims.size() != 2 || m.dims[0] != in.n || m.dims[1] != in.n) {
      throw InputError(fmt::format("the mask '{}mask' in '{}' does not have the frames' shape {}x{}", kCxiDetector,
                                   path, in.n, in.n));
    }
    const std::vector<std::uint32_t> bits = reader.read<std::uint32_t>(kCxiDetector + "mask");
    in.mask.resize(bits.size());
    for (std::size_t k = 0; k < bits.size(); ++k) in.mask[k] = bits[k] != 0;
  }
  in.first = in.frames * static_cast<std::size_t>(part) / static_cast<std::size_t>(parts);
  in.count = in.frames * static_cast<std::size_t>(part + 1) / static_cast<std::size_t>(parts) - in.first;
  if (with_frames) read_ptycho_frames(path, in, mode);
  return in;
}

void read_ptycho_frames(const std::string& path, PtychoInput& input, io::OpenMode mode) {
  if (input.count == 0) return;
  const io::Reader reader(path, mode);
  const std::size_t offset[3] = {input.first, 0, 0}, count[3] = {input.count, input.n, input.n};
  input.intensities = reader.read<float>(kCxiData, offset, count);
}

std::vector<ptycho::Position> part_positions(const PtychoInput& input) {
  return {input.positions.begin() + static_cast<std::ptrdiff_t>(input.first),
          input.positions.begin() + static_cast<std::ptrdiff_t>(input.first + input.count)};
}

std::pair<std::string, std::string> split_file_dataset(const std::string& spec, const std::string& option) {
  const std::size_t colon = spec.rfind(":/");
  if (colon == std::string::npos || colon == 0) {
    throw InvalidArgument(fmt::format("{} '{}' must be FILE:/dataset", option, spec));
  }
  return {spec.substr(0, colon), spec.substr(colon + 1)};
}

}  // namespace xpulse::pipelines
