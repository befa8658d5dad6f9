#include "spi/orientation_matching.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <cblas.h>

#include "core/error.h"

namespace xpulse::spi {
namespace {

std::vector<double> squared_norms(const float* rows, std::size_t n, std::size_t pixels, runtime::ThreadPool& pool) {
  std::vector<double> out(n);
  pool.parallel_for(n, [&](std::size_t i, unsigned) {
    double s = 0;
    const float* r = rows + i * pixels;
    for (std::size_t p = 0; p < pixels; ++p) s += static_cast<double>(r[p]) * r[p];
    out[i] = s;
  });
  return out;
}

}  // namespace

MatchResult match_orientations(const float* images, std::size_t n_images, const float* slices,
                               std::size_t n_references, std::size_t pixels, const MatchOptions& options,
                               runtime::ThreadPool& pool) {
  if (n_references == 0) throw InvalidArgument("orientation matching needs at least one reference slice");
  if (pixels == 0) throw InvalidArgument("orientation matching needs at least one pixel");
  MatchResult result;
  result.best.assign(n_images, 0);
  result.distance.assign(n_images, 0.0f);
  const std::vector<double> image_norm = squared_norms(images, n_images, pixels, pool);
  const std::vector<double> slice_norm = squared_norms(slices, n_references, pixels, pool);
  const std::size_t block = std::max<std::size_t>(1, options.images_per_block);
  std::vector<float> cross(std::min(block, n_images) * n_references);
  for (std::size_t first = 0; first < n_images; first += block) {
    const std::size_t rows = std::min(block, n_images - first);
    const auto t = std::chrono::steady_clock::now();
    // cross[i][r] = image_i . slice_r
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(n_references),
                static_cast<int>(pixels), 1.0f, images + first * pixels, static_cast<int>(pixels), slices,
                static_cast<int>(pixels), 0.0f, cross.data(), static_cast<int>(n_references));
    result.gemm_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    pool.parallel_for(rows, [&](std::size_t i, unsigned) {
      const float* c = cross.data() + i * n_references;
      const double xx = image_norm[first + i];
      double best = std::numeric_limits<double>::infinity();
      std::uint32_t arg = 0;
      for (std::size_t r = 0; r < n_references; ++r) {
        double d;
        if (options.scaled) {
          const double xy = std::max(0.0, static_cast<double>(c[r]));
          d = slice_norm[r] > 0 ? xx - xy * xy / slice_norm[r] : xx;
        } else {
          d = xx + slice_norm[r] - 2.0 * c[r];
        }
        if (d < best) best = d, arg = static_cast<std::uint32_t>(r);
      }
      result.best[first + i] = arg;
      result.distance[first + i] = static_cast<float>(best);
    });
  }
  return result;
}

}  // namespace xpulse::spi
