#include "io/mrc_writer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::io {

void write_mrc(const std::string& path, const std::vector<float>& data, std::size_t nx, std::size_t ny,
               std::size_t nz, double voxel, const std::string& label) {
  if (data.size() != nx * ny * nz || data.empty()) throw InvalidArgument("MRC map: data size does not match the box");
  if (!(voxel > 0)) throw InvalidArgument("MRC map: the voxel size must be > 0");
  // The header is 256 words of 4 bytes (MRC2014).
  std::array<std::int32_t, 256> word{};
  auto put_float = [&](int index, double value) {
    const float f = static_cast<float>(value);
    std::memcpy(&word[static_cast<std::size_t>(index)], &f, 4);
  };
  word[0] = static_cast<std::int32_t>(nx), word[1] = static_cast<std::int32_t>(ny), word[2] = static_cast<std::int32_t>(nz);
  word[3] = 2;  // mode: float32
  word[7] = word[0], word[8] = word[1], word[9] = word[2];  // sampling = box
  put_float(10, static_cast<double>(nx) * voxel), put_float(11, static_cast<double>(ny) * voxel);
  put_float(12, static_cast<double>(nz) * voxel);
  put_float(13, 90), put_float(14, 90), put_float(15, 90);
  word[16] = 1, word[17] = 2, word[18] = 3;  // columns x, rows y, sections z
  const auto [lo, hi] = std::minmax_element(data.begin(), data.end());
  double sum = 0, sum2 = 0;
  for (float v : data) sum += v, sum2 += static_cast<double>(v) * v;
  const double mean = sum / static_cast<double>(data.size());
  put_float(19, *lo), put_float(20, *hi), put_float(21, mean);
  word[22] = 1;  // space group P1
  word[27] = 20140;  // MRC2014, version 0
  put_float(49, -static_cast<double>(nx / 2) * voxel), put_float(50, -static_cast<double>(ny / 2) * voxel);
  put_float(51, -static_cast<double>(nz / 2) * voxel);
  std::memcpy(&word[52], "MAP ", 4);
  const unsigned char stamp[4] = {0x44, 0x44, 0, 0};  // little-endian
  std::memcpy(&word[53], stamp, 4);
  put_float(54, std::sqrt(std::max(0.0, sum2 / static_cast<double>(data.size()) - mean * mean)));
  word[55] = 1;  // labels
  char text[800] = {};
  std::memset(text, ' ', 80);
  std::memcpy(text, label.data(), std::min<std::size_t>(label.size(), 80));
  std::memcpy(&word[56], text, 800);

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw IoError(fmt::format("cannot create MRC map '{}'", path));
  out.write(reinterpret_cast<const char*>(word.data()), 1024);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)));
  out.close();
  if (!out) throw IoError(fmt::format("writing MRC map '{}' failed", path));
}

}  // namespace xpulse::io
