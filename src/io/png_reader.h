#pragma once
// Grey-level images from PNG files (libpng's simplified API): any PNG colour type, converted to grey in [0, 1].
#include <cstddef>
#include <string>
#include <vector>

namespace xpulse::io {

struct GreyImage {
  std::size_t height = 0, width = 0;
  std::vector<float> values;  // [height][width], 0 black .. 1 white
};

// IoError when the file is missing or not a readable PNG.
GreyImage read_png_grey(const std::string& path);

// Bilinear resampling of an image onto size x size pixels (the whole image onto the whole grid).
std::vector<float> resample_square(const GreyImage& image, std::size_t size);

}  // namespace xpulse::io
