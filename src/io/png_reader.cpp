#include "io/png_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <png.h>

#include "core/error.h"
#include "io/declared_size.h"
#include "io/isolated_call.h"

namespace xpulse::io {

namespace {

// Walks the file's chunks before libpng sees them: libpng 1.6 spends seconds and gigabytes on an ancillary chunk
// whose length field (damaged) points far past the end of the file.
void check_chunk_lengths(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(path, ec);
  std::uint64_t at = 8;  // after the signature
  unsigned char head[8];
  while (in.seekg(static_cast<std::streamoff>(at)) && in.read(reinterpret_cast<char*>(head), 8)) {
    const std::uint64_t length = (std::uint64_t{head[0]} << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
    const std::string type(reinterpret_cast<const char*>(head + 4), 4);
    if (at + 12 + length > size) {
      throw IoError(fmt::format("'{}' is not a readable PNG image: chunk '{}' at byte {} declares {} bytes, past "
                                "the end of the file (truncated or damaged?)",
                                path, printable(type), at, length));
    }
    if (type == "IEND") return;
    at += 12 + length;
  }
}

}  // namespace

GreyImage read_png_grey(const std::string& path) {
  if (!std::filesystem::exists(path)) throw IoError(fmt::format("image '{}' does not exist", path));
  check_chunk_lengths(path);
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    throw IoError(fmt::format("'{}' is not a readable PNG image: {}", path, image.message));
  }
  image.format = PNG_FORMAT_GRAY;
  // The header's size is not trusted with memory: a few damaged bytes can declare gigapixels.
  const std::size_t declared[] = {image.height, image.width};
  std::error_code ec;
  try {
    check_declared_size(declared, sizeof(float), static_cast<std::size_t>(std::filesystem::file_size(path, ec)),
                        "image", path);
  } catch (...) {
    png_image_free(&image);
    throw;
  }
  std::vector<png_byte> pixels = buffer_for<png_byte>(PNG_IMAGE_SIZE(image), "image", path);
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

namespace {

// Where output pixel i of `size` samples an axis of `length` pixels (centres aligned): the two neighbours and
// the weight of the second.
struct Tap {
  std::size_t low, high;
  double weight;
};

Tap tap(std::size_t i, std::size_t size, std::size_t length) {
  const double f = std::clamp((static_cast<double>(i) + 0.5) * static_cast<double>(length) / static_cast<double>(size) - 0.5,
                              0.0, static_cast<double>(length - 1));
  const auto low = static_cast<std::size_t>(f);
  return {low, std::min(low + 1, length - 1), f - static_cast<double>(low)};
}

}  // namespace

std::vector<float> resample_square(const GreyImage& image, std::size_t size) {
  std::vector<float> out(size * size);
  const auto at = [&](std::size_t y, std::size_t x) { return image.values[y * image.width + x]; };
  for (std::size_t y = 0; y < size; ++y) {
    const Tap ty = tap(y, size, image.height);
    for (std::size_t x = 0; x < size; ++x) {
      const Tap tx = tap(x, size, image.width);
      const double top = (1 - tx.weight) * at(ty.low, tx.low) + tx.weight * at(ty.low, tx.high);
      const double bottom = (1 - tx.weight) * at(ty.high, tx.low) + tx.weight * at(ty.high, tx.high);
      out[y * size + x] = static_cast<float>((1 - ty.weight) * top + ty.weight * bottom);
    }
  }
  return out;
}

}  // namespace xpulse::io
