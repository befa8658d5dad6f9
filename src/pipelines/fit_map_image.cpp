#include "pipelines/fit_map_image.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "core/error.h"
#include "io/hdf5.h"
#include "io/png_writer.h"

namespace xpulse::pipelines {
namespace {

// viridis at 0, 1/8, ..., 1 (matplotlib's table), interpolated linearly in between.
constexpr std::array<std::array<double, 3>, 9> kViridis = {{{68, 1, 84},
                                                          {71, 44, 122},
                                                          {59, 81, 139},
                                                          {44, 113, 142},
                                                          {33, 144, 141},
                                                          {39, 173, 129},
                                                          {92, 200, 99},
                                                          {170, 220, 50},
                                                          {253, 231, 37}}};

std::array<std::uint8_t, 3> viridis(double t) {
  t = std::clamp(t, 0.0, 1.0) * 8.0;
  const std::size_t i = std::min<std::size_t>(7, static_cast<std::size_t>(t));
  const double f = t - static_cast<double>(i);
  std::array<std::uint8_t, 3> c{};
  for (int k = 0; k < 3; ++k) {
    c[k] = static_cast<std::uint8_t>(std::lround(kViridis[i][k] + f * (kViridis[i + 1][k] - kViridis[i][k])));
  }
  return c;
}

bool plain_name(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

}  // namespace

std::optional<FitMapImage> render_fit_map(const std::vector<std::string>& outputs, const std::string& parameter) {
  if (!plain_name(parameter)) throw InvalidArgument(fmt::format("'{}' is not a fit parameter name", parameter));
  const std::string dataset = "/fit/" + parameter;
  for (const std::string& path : outputs) {
    std::vector<float> values;
    std::size_t ny = 0, nx = 0;
    FitMapImage image;
    try {
      const io::Reader file(path);
      if (!file.exists(dataset)) continue;
      const auto info = file.info(dataset);
      if (info.dims.size() != 2 || info.dims[0] == 0 || info.dims[1] == 0) continue;
      ny = info.dims[0], nx = info.dims[1];
      values = file.read<float>(dataset);
      image.units = file.string_attribute(dataset, "units");
    } catch (const Error&) {
      continue;  // gone, unreadable or not HDF5: not this one
    }
    std::vector<float> finite;
    for (const float v : values) {
      if (std::isfinite(v)) finite.push_back(v);
    }
    if (!finite.empty()) {
      const auto at = [&](double q) {
        auto it = finite.begin() + static_cast<std::ptrdiff_t>(q * static_cast<double>(finite.size() - 1));
        std::nth_element(finite.begin(), it, finite.end());
        return static_cast<double>(*it);
      };
      image.low = at(0.02), image.high = at(0.98);
    }
    const double span = image.high > image.low ? image.high - image.low : 1.0;
    // Into a 320 x 320 box: whole-pixel enlargement of small maps, nearest-pixel reduction of large ones.
    double f = std::min(320.0 / static_cast<double>(nx), 320.0 / static_cast<double>(ny));
    if (f >= 1) f = std::floor(f);
    const std::size_t width = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(static_cast<double>(nx) * f)));
    const std::size_t height = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(static_cast<double>(ny) * f)));
    std::vector<std::uint8_t> rgb(width * height * 3);
    for (std::size_t y = 0; y < height; ++y) {
      const std::size_t sy = std::min(ny - 1, static_cast<std::size_t>(static_cast<double>(y) / f));
      for (std::size_t x = 0; x < width; ++x) {
        const std::size_t sx = std::min(nx - 1, static_cast<std::size_t>(static_cast<double>(x) / f));
        const float v = values[sy * nx + sx];
        const std::array<std::uint8_t, 3> c =
            std::isfinite(v) ? viridis((v - image.low) / span) : std::array<std::uint8_t, 3>{128, 128, 128};
        std::copy(c.begin(), c.end(), rgb.begin() + static_cast<std::ptrdiff_t>(3 * (y * width + x)));
      }
    }
    image.png = io::encode_png_rgb(width, height, rgb);
    image.file = path;
    return image;
  }
  return std::nullopt;
}

}  // namespace xpulse::pipelines
