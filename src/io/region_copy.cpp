#include "io/region_copy.h"

#include <algorithm>
#include <cstring>

namespace xpulse::io {

std::vector<std::size_t> dense_strides(std::span<const std::size_t> dims) {
  std::vector<std::size_t> s(dims.size(), 1);
  for (std::size_t d = dims.size(); d-- > 1;) s[d - 1] = s[d] * dims[d];
  return s;
}

void copy_region(const std::uint8_t* src, DType src_type, std::span<const std::size_t> src_dims,
                 std::span<const std::size_t> start, std::span<const std::size_t> count, const Destination& dst) {
  const std::size_t src_size = dtype_size(src_type);
  const std::size_t dst_size = dtype_size(dst.type);
  for_each_run(src_dims, start, count, dst.strides, [&](std::size_t s, std::size_t t, std::size_t n) {
    convert_elements(src + s * src_size, src_type, dst.base + t * dst_size, dst.type, n);
  });
}

void fill_region(const Destination& dst, std::span<const std::size_t> count, const std::uint8_t* value) {
  const std::size_t size = dtype_size(dst.type);
  const bool zero = std::all_of(value, value + size, [](std::uint8_t b) { return b == 0; });
  // A dense "source" of the box's own shape gives the runs; only the destination offsets are used.
  for_each_run(count, std::vector<std::size_t>(count.size(), 0), count, dst.strides,
               [&](std::size_t, std::size_t t, std::size_t n) {
                 std::uint8_t* p = dst.base + t * size;
                 if (zero) {
                   std::memset(p, 0, n * size);
                 } else {
                   for (std::size_t i = 0; i < n; ++i) std::memcpy(p + i * size, value, size);
                 }
               });
}

}  // namespace xpulse::io
