#include "nufft/plan.h"

#include <algorithm>
#include <chrono>
#include <utility>


#include "core/error.h"
#include "nufft/es_kernel.h"
#include "nufft/fine_grid_fft.h"
#include "nufft/plan_geometry.h"
#include "nufft/spreader.h"
#include "runtime/thread_pool.h"

namespace xpulse::nufft {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

template <class T>
struct Plan<T>::Impl {
  PlanGeometry g;
  std::vector<T> correction[3];  // the geometry's, in T
  std::vector<std::complex<T>> grid;
  std::unique_ptr<FineGridFft<T>> fft;
  std::unique_ptr<Spreader<T>> spreader;
  runtime::ThreadPool pool;
  bool points_set = false;
  std::size_t n_points = 0;
  Timings timings;

  explicit Impl(PlanGeometry geometry) : g(std::move(geometry)), pool(g.options.threads) {}

  // Type 1: modes from the fine grid, deconvolved; type 2: the fine grid from the modes (zero elsewhere).
  void deconvolve(std::complex<T>* f, bool to_modes) {
    const std::size_t m1 = g.modes[0], m2 = g.modes[1], m3 = g.modes[2];
    const std::size_t* nf = g.nf;
    const auto& grid_index = g.grid_index;
    if (!to_modes) std::fill(grid.begin(), grid.end(), std::complex<T>(0));
    pool.parallel_for(m3, [&](std::size_t i3, unsigned) {
      for (std::size_t i2 = 0; i2 < m2; ++i2) {
        const T w23 = correction[2][i3] * correction[1][i2];
        const std::size_t cell = (grid_index[2][i3] * nf[1] + grid_index[1][i2]) * nf[0];
        std::complex<T>* frow = f + (i3 * m2 + i2) * m1;
        for (std::size_t i1 = 0; i1 < m1; ++i1) {
          const T w = w23 * correction[0][i1];
          if (to_modes) {
            frow[i1] = grid[cell + grid_index[0][i1]] * w;
          } else {
            grid[cell + grid_index[0][i1]] = frow[i1] * w;
          }
        }
      }
    });
  }
};

template <class T>
Plan<T>::Plan(int type, std::span<const std::size_t> modes, double eps, const PlanOptions& options)
    : impl_(std::make_unique<Impl>(make_plan_geometry<T>(type, modes, eps, options))) {
  Impl& p = *impl_;
  for (int m = 0; m < 3; ++m) p.correction[m].assign(p.g.correction[m].begin(), p.g.correction[m].end());
  p.grid.resize(p.g.grid_size());
  p.fft = std::make_unique<FineGridFft<T>>(p.g.nf, options.sign, options.threads, p.grid.data());
  p.spreader = std::make_unique<Spreader<T>>(p.g.nf, p.g.width, p.g.kernel);
}

template <class T>
Plan<T>::~Plan() = default;
template <class T>
Plan<T>::Plan(Plan&&) noexcept = default;
template <class T>
Plan<T>& Plan<T>::operator=(Plan&&) noexcept = default;

template <class T>
void Plan<T>::set_points(std::size_t n, const T* x, const T* y, const T* z) {
  Impl& p = *impl_;
  p.points_set = false;
  const std::array<const T*, 3> mapped = mapped_coordinates(p.g, n, x, y, z);
  const auto t = std::chrono::steady_clock::now();
  p.spreader->sort(n, mapped.data(), p.pool);
  p.timings.sort = seconds_since(t);
  p.n_points = n;
  p.points_set = true;
}

template <class T>
void Plan<T>::execute(std::complex<T>* c, std::complex<T>* f) {
  Impl& p = *impl_;
  if (!p.points_set) throw InvalidArgument("NUFFT execute before set_points");
  if ((c == nullptr && p.n_points > 0) || f == nullptr) throw InvalidArgument("NUFFT execute: null data");
  auto t = std::chrono::steady_clock::now();
  if (p.g.type == 1) {
    p.spreader->spread(c, p.grid.data(), p.pool);
    p.timings.spread = seconds_since(t);
    t = std::chrono::steady_clock::now();
    p.fft->execute();
    p.timings.fft = seconds_since(t);
    t = std::chrono::steady_clock::now();
    p.deconvolve(f, true);
    p.timings.deconvolve = seconds_since(t);
  } else {
    p.deconvolve(f, false);
    p.timings.deconvolve = seconds_since(t);
    t = std::chrono::steady_clock::now();
    p.fft->execute();
    p.timings.fft = seconds_since(t);
    t = std::chrono::steady_clock::now();
    p.spreader->interpolate(p.grid.data(), c, p.pool);
    p.timings.spread = seconds_since(t);
  }
}

template <class T>
int Plan<T>::type() const { return impl_->g.type; }
template <class T>
int Plan<T>::dimensions() const { return impl_->g.dims; }
template <class T>
std::size_t Plan<T>::modes() const { return impl_->g.mode_count(); }
template <class T>
std::size_t Plan<T>::points() const { return impl_->n_points; }
template <class T>
int Plan<T>::kernel_width() const { return impl_->g.kernel.width; }
template <class T>
std::vector<std::size_t> Plan<T>::fine_grid() const { return impl_->g.fine_grid(); }
template <class T>
const Timings& Plan<T>::timings() const { return impl_->timings; }

template class Plan<float>;
template class Plan<double>;

}  // namespace xpulse::nufft
