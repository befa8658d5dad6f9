#include "io/png_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <png.h>

#include "core/error.h"

namespace xpulse::io {

GreyImage read_png_grey(const std::string& path) {
  if (!std::filesystem::exists(path)) throw IoError(fmt::format("image '{}' does not exist", path));
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    throw IoError(fmt::format("'{}' is not a readable PNG image: {}", path, image.message));
  }
  image.format = PNG_FORMAT_GRAY;
  std::vector<png_byte> pixels(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr)) {
    png_image_free(&image);
    throw IoError(fmt::format("cannot read PNG image '{}': {}", path, image.message));
  }
  GreyImage out;
  out.height = image.height, out.width = image.width;
  if (out.height == 0 || out.width == 0) throw IoError(fmt::format("PNG image '{}' is empty", path));
  out.values.resize(pixels.size());
  for (std::size_t k = 0; k < pixels.size(); ++k) out.values[k] = static_cast<float>(pixels[k]) / 255.0f;
  return out;
}

std::vector<float> resample_square(const GreyImage& image, std::size_t size) {
  std::vector<float> out(size * size);
  const auto at = [&](std::size_t y, std::size_t x) { return image.values[y * image.width + x]; };
  for (std::size_t y = 0; y < size; ++y) {
    const double fy = std::clamp((static_cast<double>(y) + 0.5) * static_cast<double>(image.height) /
                                     static_cast<double>(size) - 0.5, 0.0, static_cast<double>(image.height - 1));
    const auto y0 = static_cast<std::size_t>(fy);
    const std::size_t y1 = std::min(y0 + 1, image.height - 1);
    const double ty = fy - static_cast<double>(y0);
    for (std::size_t x = 0; x < size; ++x) {
      const double fx = std::clamp((static_cast<double>(x) + 0.5) * static_cast<double>(image.width) /
                                       static_cast<double>(size) - 0.5, 0.0, static_cast<double>(image.width - 1));
      const auto x0 = static_cast<std::size_t>(fx);
      const std::size_t x1 = std::min(x0 + 1, image.width - 1);
      const double tx = fx - static_cast<double>(x0);
      out[y * size + x] = static_cast<float>((1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x1)) +
                                             ty * ((1 - tx) * at(y1, x0) + tx * at(y1, x1)));
    }
  }
  return out;
}

}  // namespace xpulse::io
