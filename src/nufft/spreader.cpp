#include "nufft/spreader.h"

#include <algorithm>
#include <cmath>

#include "nufft/point_kernel.h"

namespace xpulse::nufft {
namespace {

constexpr std::size_t kBin = 16;  // cells per bin and dimension (>= the widest kernel)
// i in [-n, 2n) wrapped into [0, n) (kernel supports are narrower than the grid).
inline std::size_t wrap(std::ptrdiff_t i, std::size_t n) {
  const auto m = static_cast<std::ptrdiff_t>(n);
  return static_cast<std::size_t>(i < 0 ? i + m : (i >= m ? i - m : i));
}

// Rows are updated in fixed chunks so that the loops vectorise fully: 8 floats (4 complex cells) in single
// precision; in double one cell, since padding to wider chunks touches extra cache lines and measured slower.
// Lanes past the kernel's 2w values carry zero strength (spreading adds 0) or are ignored (interpolation).
template <class T>
constexpr int kChunk = sizeof(T) == sizeof(float) ? 8 : 2;
template <class T>
inline int chunks_for(int width) { return (2 * width + kChunk<T> - 1) / kChunk<T>; }

template <class T>
inline void axpy_chunks(T* r, T w, const T* s, int chunks) {
  for (int c = 0; c < chunks; ++c) {
#pragma omp simd
    for (int i = 0; i < kChunk<T>; ++i) r[c * kChunk<T> + i] += w * s[c * kChunk<T> + i];
  }
}

}  // namespace

template <class T>
struct Spreader<T>::Support {
  std::ptrdiff_t start[3];  // first fine-grid index (may be outside [0, nf) before wrapping)
  std::size_t index[3][16]; // wrapped fine-grid indices
  T k[3][16];               // kernel values
};

template <class T>
Spreader<T>::Spreader(const std::size_t nf[3], const int width[3], const EsKernel& kernel) : kernel_(kernel) {
  for (int d = 0; d < 3; ++d) {
    nf_[d] = nf[d];
    width_[d] = width[d];
    bins_[d] = (nf[d] + kBin - 1) / kBin;
  }
}

template <class T>
typename Spreader<T>::Support Spreader<T>::support_of(std::size_t j) const {
  Support s;
  for (int d = 0; d < 3; ++d) {
    if (sorted_u_[d].empty()) {
      s.start[d] = 0;
      s.index[d][0] = 0;
      s.k[d][0] = T(1);
      continue;
    }
    const double u = sorted_u_[d][j];
    const double first = std::ceil(u - 0.5 * width_[d]);
    s.start[d] = static_cast<std::ptrdiff_t>(first);
    for (int i = 0; i < width_[d]; ++i) s.index[d][i] = wrap(s.start[d] + i, nf_[d]);
    kernel_.values(first - u, s.k[d]);
  }
  return s;
}

template <class T>
void Spreader<T>::sort(std::size_t n, const T* const coords[3], runtime::ThreadPool& pool) {
  n_ = n;
  // Counting sort by bin, bins ordered slowest dimension first.
  const std::size_t bins = bins_[0] * bins_[1] * bins_[2];
  std::vector<std::uint32_t> key(n);
  pool.parallel_for((n + 65535) / 65536, [&](std::size_t chunk, unsigned) {
    const std::size_t p1 = std::min(n, (chunk + 1) * 65536);
    for (std::size_t p = chunk * 65536; p < p1; ++p) {
      std::size_t b[3] = {0, 0, 0};
      for (int d = 0; d < 3; ++d) {
        if (coords[d] != nullptr) {
          const double u = fine_coordinate(static_cast<double>(coords[d][p]), static_cast<double>(nf_[d]));
          b[d] = static_cast<std::size_t>(u) / kBin;
        }
      }
      key[p] = static_cast<std::uint32_t>((b[2] * bins_[1] + b[1]) * bins_[0] + b[0]);
    }
  });
  std::vector<std::size_t> start(bins + 1, 0);
  for (std::size_t p = 0; p < n; ++p) ++start[key[p] + 1];
  for (std::size_t b = 0; b < bins; ++b) start[b + 1] += start[b];
  layer_start_.assign(bins_[2] + 1, 0);
  for (std::size_t z = 0; z <= bins_[2]; ++z) layer_start_[z] = start[z * bins_[0] * bins_[1]];
  order_.resize(n);
  for (std::size_t p = 0; p < n; ++p) order_[start[key[p]]++] = p;
  for (int d = 0; d < 3; ++d) {
    sorted_u_[d].clear();
    if (coords[d] == nullptr) continue;
    sorted_u_[d].resize(n);
    pool.parallel_for((n + 65535) / 65536, [&](std::size_t chunk, unsigned) {
      const std::size_t j1 = std::min(n, (chunk + 1) * 65536);
      for (std::size_t j = chunk * 65536; j < j1; ++j) {
        sorted_u_[d][j] = fine_coordinate(static_cast<double>(coords[d][order_[j]]), static_cast<double>(nf_[d]));
      }
    });
  }
}

template <class T>
void Spreader<T>::spread(const std::complex<T>* c, std::complex<T>* grid, runtime::ThreadPool& pool) const {
  const std::size_t n1 = nf_[0], n2 = nf_[1], n3 = nf_[2];
  std::fill(grid, grid + n1 * n2 * n3, std::complex<T>(0));
  // Strengths in sorted order (one pass of scattered reads, rather than one inside the spreading loop).
  std::vector<std::complex<T>> sorted_c(n_);
  pool.parallel_for((n_ + 65535) / 65536, [&](std::size_t chunk, unsigned) {
    const std::size_t j1 = std::min(n_, (chunk + 1) * 65536);
    for (std::size_t j = chunk * 65536; j < j1; ++j) sorted_c[j] = c[order_[j]];
  });
  const std::size_t layers = bins_[2];
  // Slabs of whole bin layers; at least 4 per thread where the grid allows.
  const std::size_t per_slab = std::max<std::size_t>(1, layers / (4 * std::max<std::size_t>(1, pool.size())));
  const std::size_t slabs = (layers + per_slab - 1) / per_slab;
  pool.parallel_for(slabs, [&](std::size_t s, unsigned) {
    const std::size_t l0 = s * per_slab, l1 = std::min(layers, l0 + per_slab);
    const std::size_t z_begin = l0 * kBin, z_end = std::min(n3, l1 * kBin);
    // The layers whose points can reach this slab: those holding a cell within w/2 + 1 of it (a narrow last
    // layer can let points two layers away across), in increasing unwrapped position. Every cell then receives
    // its contributions layer by layer in the same order for any slab partition (thread count).
    std::vector<std::size_t> visit;
    std::vector<char> seen(layers, 0);
    const auto reach = static_cast<std::ptrdiff_t>(width_[2] / 2 + 1);
    const auto cells = static_cast<std::ptrdiff_t>(n3);
    for (auto c = static_cast<std::ptrdiff_t>(z_begin) - reach; c < static_cast<std::ptrdiff_t>(z_end) + reach; ++c) {
      const auto layer = static_cast<std::size_t>(((c % cells) + cells) % cells) / kBin;
      if (!seen[layer]) seen[layer] = 1, visit.push_back(layer);
    }
    T strength[32] = {};  // c_j times the x kernel, interleaved (re, im), zero-padded: one axpy per grid row
    const int chunks = chunks_for<T>(width_[0]);
    const auto padded_cells = static_cast<std::ptrdiff_t>(chunks * kChunk<T> / 2);
    for (std::size_t layer : visit) {
      for (std::size_t j = layer_start_[layer]; j < layer_start_[layer + 1]; ++j) {
        const Support sup = support_of(j);
        const std::complex<T> cj = sorted_c[j];
        const bool contiguous = sup.start[0] >= 0 && sup.start[0] + padded_cells <= static_cast<std::ptrdiff_t>(n1);
        for (int ix = 0; ix < width_[0]; ++ix) {
          strength[2 * ix] = cj.real() * sup.k[0][ix];
          strength[2 * ix + 1] = cj.imag() * sup.k[0][ix];
        }
        for (int iz = 0; iz < width_[2]; ++iz) {
          const std::size_t pz = sup.index[2][iz];
          if (pz < z_begin || pz >= z_end) continue;
          for (int iy = 0; iy < width_[1]; ++iy) {
            const T w = sup.k[2][iz] * sup.k[1][iy];
            std::complex<T>* row = grid + (pz * n2 + sup.index[1][iy]) * n1;
            if (contiguous) {
              axpy_chunks(reinterpret_cast<T*>(row + sup.start[0]), w, strength, chunks);
            } else {
              for (int ix = 0; ix < width_[0]; ++ix) {
                row[sup.index[0][ix]] += std::complex<T>(w * strength[2 * ix], w * strength[2 * ix + 1]);
              }
            }
          }
        }
      }
    }
  });
}

template <class T>
void Spreader<T>::interpolate(const std::complex<T>* grid, std::complex<T>* c, runtime::ThreadPool& pool) const {
  const std::size_t n1 = nf_[0], n2 = nf_[1];
  std::vector<std::complex<T>> sorted_c(n_);  // written in sorted order, scattered to c in a separate pass
  const int chunks = chunks_for<T>(width_[0]);
  const auto padded_cells = static_cast<std::ptrdiff_t>(chunks * kChunk<T> / 2);
  constexpr std::size_t kPointsPerTask = 4096;
  pool.parallel_for((n_ + kPointsPerTask - 1) / kPointsPerTask, [&](std::size_t task, unsigned) {
    const std::size_t j1 = std::min(n_, (task + 1) * kPointsPerTask);
    for (std::size_t j = task * kPointsPerTask; j < j1; ++j) {
      const Support sup = support_of(j);
      const bool contiguous = sup.start[0] >= 0 && sup.start[0] + padded_cells <= static_cast<std::ptrdiff_t>(n1);
      // Rows weighted by the y and z kernels, summed (interleaved re, im); the x kernel is applied once at the end.
      T acc[32] = {};
      for (int iz = 0; iz < width_[2]; ++iz) {
        for (int iy = 0; iy < width_[1]; ++iy) {
          const T w = sup.k[2][iz] * sup.k[1][iy];
          const std::complex<T>* row = grid + (sup.index[2][iz] * n2 + sup.index[1][iy]) * n1;
          if (contiguous) {
            const T* r = reinterpret_cast<const T*>(row + sup.start[0]);
            for (int c = 0; c < chunks; ++c) {
#pragma omp simd
              for (int i = 0; i < kChunk<T>; ++i) acc[c * kChunk<T> + i] += w * r[c * kChunk<T> + i];
            }
          } else {
            for (int ix = 0; ix < width_[0]; ++ix) {
              const std::complex<T> g = row[sup.index[0][ix]];
              acc[2 * ix] += w * g.real();
              acc[2 * ix + 1] += w * g.imag();
            }
          }
        }
      }
      T re = 0, im = 0;
      for (int ix = 0; ix < width_[0]; ++ix) {
        re += acc[2 * ix] * sup.k[0][ix];
        im += acc[2 * ix + 1] * sup.k[0][ix];
      }
      sorted_c[j] = std::complex<T>(re, im);
    }
  });
  pool.parallel_for((n_ + 65535) / 65536, [&](std::size_t chunk, unsigned) {
    const std::size_t j1 = std::min(n_, (chunk + 1) * 65536);
    for (std::size_t j = chunk * 65536; j < j1; ++j) c[order_[j]] = sorted_c[j];
  });
}

template class Spreader<float>;
template class Spreader<double>;

}  // namespace xpulse::nufft
