#pragma once
// PNG encoding in memory (libpng's simplified API), for images served over HTTP.
#include <cstdint>
#include <string>
#include <vector>

namespace xpulse::io {

// An 8-bit RGB image [height][width][3] as the bytes of a PNG file. Throws IoError if libpng fails.
std::string encode_png_rgb(std::size_t width, std::size_t height, const std::vector<std::uint8_t>& rgb);

}  // namespace xpulse::io
