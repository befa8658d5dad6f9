#include "io/png_writer.h"

#include <png.h>

#include <cstring>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::io {

std::string encode_png_rgb(std::size_t width, std::size_t height, const std::vector<std::uint8_t>& rgb) {
  if (rgb.size() != width * height * 3) {
    throw Error(fmt::format("encode_png_rgb: {} bytes for {}x{} RGB pixels", rgb.size(), width, height));
  }
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  // The first call measures, the second writes.
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, rgb.data(), 0, nullptr)) {
    throw IoError(fmt::format("PNG encoding failed: {}", image.message));
  }
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, rgb.data(), 0, nullptr)) {
    throw IoError(fmt::format("PNG encoding failed: {}", image.message));
  }
  out.resize(size);
  return out;
}

}  // namespace xpulse::io
