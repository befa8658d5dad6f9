#pragma once
// Orientation matching of M-TIP (REFERENCE.md section 3, step 2): for every image, the reference slice at the
// smallest squared distance. The distances |x|^2 + |y|^2 - 2 x.y need one cross term per (image, reference)
// pair: one single-precision GEMM (OpenBLAS) per block of images, then an argmin per row.
//
// scaled: each slice is first scaled to fit the image best (s = x.y / |y|^2, at least 0), so the distance is
// |x|^2 - max(x.y, 0)^2 / |y|^2: a per-image fluence or an unknown intensity scale does not matter. The same
// cross terms serve both.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/thread_pool.h"

namespace xpulse::spi {

struct MatchOptions {
  bool scaled = true;
  std::size_t images_per_block = 1024;  // bounds the cross-term buffer (block x references floats)
};

struct MatchResult {
  std::vector<std::uint32_t> best;  // per image, index of the nearest reference
  std::vector<float> distance;      // its squared distance
  double gemm_seconds = 0;
};

// images [n_images][pixels], slices [n_references][pixels], row-major float32. Pixels a mask excludes are simply
// left out of both by the caller (or zero in both).
MatchResult match_orientations(const float* images, std::size_t n_images, const float* slices,
                               std::size_t n_references, std::size_t pixels, const MatchOptions& options,
                               runtime::ThreadPool& pool);

}  // namespace xpulse::spi
