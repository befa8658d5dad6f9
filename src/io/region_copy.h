#pragma once
// Moving N-d boxes of elements between a dense source array and a strided destination, converting the element
// type on the way. Used to scatter decoded chunks into the caller's buffer (the in-memory corner turn).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "io/dtype.h"

namespace xpulse::io {

// Where a box lands: element i = (i0, ..., ik) of the box goes to base + sum(i_d * strides[d]) elements.
// strides.back() must be 1 (rows are contiguous).
struct Destination {
  std::uint8_t* base = nullptr;
  DType type = DType::f32;
  std::vector<std::size_t> strides;  // in elements
};

// Row-major strides of a dense array of `dims`.
std::vector<std::size_t> dense_strides(std::span<const std::size_t> dims);

// Copies the box [start, start + count) of the dense array `src` (dims `src_dims`, type `src_type`) to `dst`.
void copy_region(const std::uint8_t* src, DType src_type, std::span<const std::size_t> src_dims,
                 std::span<const std::size_t> start, std::span<const std::size_t> count, const Destination& dst);

// Writes `value` (one element of dst.type) to every element of a box of extent `count` at dst.
void fill_region(const Destination& dst, std::span<const std::size_t> count, const std::uint8_t* value);

// Calls run(src_element_offset, dst_element_offset, length) for each maximal contiguous run of the box
// [start, start + count) of a dense array of `src_dims`, merging trailing dimensions when both sides are
// contiguous across them.
template <class Run>
void for_each_run(std::span<const std::size_t> src_dims, std::span<const std::size_t> start,
                  std::span<const std::size_t> count, std::span<const std::size_t> dst_strides, Run&& run) {
  const std::size_t rank = src_dims.size();
  if (rank == 0) {
    run(std::size_t{0}, std::size_t{0}, std::size_t{1});
    return;
  }
  for (std::size_t d = 0; d < rank; ++d) {
    if (count[d] == 0) return;
  }
  const std::vector<std::size_t> src_strides = dense_strides(src_dims);
  // Merge dimension d into the run while the run so far spans whole rows on both sides.
  std::size_t inner = rank - 1;
  std::size_t run_len = count[rank - 1];
  while (inner > 0 && count[inner] == src_dims[inner] && dst_strides[inner - 1] == run_len &&
         src_strides[inner - 1] == run_len) {
    --inner;
    run_len *= count[inner];
  }
  std::vector<std::size_t> idx(inner, 0);
  while (true) {
    std::size_t s = 0, t = 0;
    for (std::size_t d = 0; d < inner; ++d) {
      s += (start[d] + idx[d]) * src_strides[d];
      t += idx[d] * dst_strides[d];
    }
    s += start[inner] * src_strides[inner];
    run(s, t, run_len);
    std::size_t d = inner;
    while (d > 0) {
      --d;
      if (++idx[d] < count[d]) break;
      idx[d] = 0;
      if (d == 0) return;
    }
    if (inner == 0) return;
  }
}

}  // namespace xpulse::io
