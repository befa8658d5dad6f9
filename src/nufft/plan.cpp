#include "nufft/plan.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/error.h"
#include "nufft/es_kernel.h"
#include "nufft/fine_grid_fft.h"
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
  int type = 1;
  int dims = 1;
  PlanOptions options;
  EsKernel kernel;
  std::size_t modes[3] = {1, 1, 1};   // mapped (fastest first; the last present dimension is third)
  std::size_t nf[3] = {1, 1, 1};
  int width[3] = {1, 1, 1};
  // Per mapped dimension and mode index: the fine-grid index and 1 / kernel Fourier coefficient.
  std::vector<std::size_t> grid_index[3];
  std::vector<T> correction[3];
  std::vector<std::complex<T>> grid;
  std::unique_ptr<FineGridFft<T>> fft;
  std::unique_ptr<Spreader<T>> spreader;
  runtime::ThreadPool pool;
  bool points_set = false;
  std::size_t n_points = 0;
  Timings timings;

  explicit Impl(unsigned threads) : pool(threads) {}

  // Type 1: modes from the fine grid, deconvolved; type 2: the fine grid from the modes (zero elsewhere).
  void deconvolve(std::complex<T>* f, bool to_modes) {
    const std::size_t m1 = modes[0], m2 = modes[1], m3 = modes[2];
    if (!to_modes) std::fill(grid.begin(), grid.end(), std::complex<T>(0));
    pool.parallel_for(m3, [&](std::size_t i3, unsigned) {
      for (std::size_t i2 = 0; i2 < m2; ++i2) {
        const T w23 = correction[2][i3] * correction[1][i2];
        const std::size_t g = (grid_index[2][i3] * nf[1] + grid_index[1][i2]) * nf[0];
        std::complex<T>* frow = f + (i3 * m2 + i2) * m1;
        for (std::size_t i1 = 0; i1 < m1; ++i1) {
          const T w = w23 * correction[0][i1];
          if (to_modes) {
            frow[i1] = grid[g + grid_index[0][i1]] * w;
          } else {
            grid[g + grid_index[0][i1]] = frow[i1] * w;
          }
        }
      }
    });
  }
};

template <class T>
Plan<T>::Plan(int type, std::span<const std::size_t> modes, double eps, const PlanOptions& options) {
  if (type != 1 && type != 2) throw InvalidArgument(fmt::format("NUFFT type must be 1 or 2, not {}", type));
  if (modes.empty() || modes.size() > 3) {
    throw InvalidArgument(fmt::format("NUFFT dimensions must be 1, 2 or 3, not {}", modes.size()));
  }
  for (std::size_t d = 0; d < modes.size(); ++d) {
    if (modes[d] == 0) throw InvalidArgument(fmt::format("NUFFT modes N{} must be >= 1", d + 1));
  }
  const double min_eps = sizeof(T) == sizeof(float) ? 1e-7 : 1e-15;
  if (!(eps >= min_eps) || !(eps <= 0.1)) {
    throw InvalidArgument(fmt::format("NUFFT tolerance eps = {} is outside [{}, 0.1] for {}", eps, min_eps,
                                      sizeof(T) == sizeof(float) ? "float" : "double"));
  }
  if (options.sign != 1 && options.sign != -1) {
    throw InvalidArgument(fmt::format("NUFFT sign must be +1 or -1, not {}", options.sign));
  }
  if (options.threads < 1) throw InvalidArgument("NUFFT threads must be >= 1");
  impl_ = std::make_unique<Impl>(options.threads);
  Impl& p = *impl_;
  p.type = type;
  p.dims = static_cast<int>(modes.size());
  p.options = options;
  p.kernel = EsKernel::for_tolerance(eps);
  // Mapped dimensions: the given ones fastest first, the last one third (the spreader's slab dimension).
  const int slot[3][3] = {{2, -1, -1}, {0, 2, -1}, {0, 1, 2}};
  for (int d = 0; d < p.dims; ++d) {
    const int m = slot[p.dims - 1][d];
    p.modes[m] = modes[static_cast<std::size_t>(d)];
    p.nf[m] = fine_grid_size(p.modes[m], p.kernel.width);
    p.width[m] = p.kernel.width;
  }
  for (int m = 0; m < 3; ++m) {
    const std::size_t n = p.modes[m];
    p.grid_index[m].resize(n);
    p.correction[m].resize(n);
    if (p.width[m] == 1) {  // a size-1 dimension
      p.grid_index[m][0] = 0;
      p.correction[m][0] = T(1);
      continue;
    }
    const std::vector<double> phihat = p.kernel.fourier_series(n, p.nf[m]);
    for (std::size_t i = 0; i < n; ++i) {
      // Centered: index i is k = i - N/2. FFT order: k = i for i <= (N-1)/2, else i - N.
      const auto k = options.order == ModeOrder::centered
                         ? static_cast<std::ptrdiff_t>(i) - static_cast<std::ptrdiff_t>(n / 2)
                         : (i <= (n - 1) / 2 ? static_cast<std::ptrdiff_t>(i)
                                              : static_cast<std::ptrdiff_t>(i) - static_cast<std::ptrdiff_t>(n));
      const auto nf = static_cast<std::ptrdiff_t>(p.nf[m]);
      p.grid_index[m][i] = static_cast<std::size_t>((k % nf + nf) % nf);
      p.correction[m][i] = static_cast<T>(1.0 / phihat[static_cast<std::size_t>(k + static_cast<std::ptrdiff_t>(n / 2))]);
    }
  }
  p.grid.resize(p.nf[0] * p.nf[1] * p.nf[2]);
  p.fft = std::make_unique<FineGridFft<T>>(p.nf, options.sign, options.threads, p.grid.data());
  p.spreader = std::make_unique<Spreader<T>>(p.nf, p.width, p.kernel);
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
  const T* given[3] = {x, y, z};
  for (int d = 0; d < p.dims; ++d) {
    if (given[d] == nullptr && n > 0) {
      throw InvalidArgument(fmt::format("NUFFT set_points: coordinate {} is missing for a {}D plan", "xyz"[d], p.dims));
    }
  }
  const T* mapped[3] = {nullptr, nullptr, nullptr};
  if (p.dims == 1) mapped[2] = x;
  if (p.dims == 2) mapped[0] = x, mapped[2] = y;
  if (p.dims == 3) mapped[0] = x, mapped[1] = y, mapped[2] = z;
  const auto t = std::chrono::steady_clock::now();
  p.points_set = false;
  p.spreader->sort(n, mapped, p.pool);
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
  if (p.type == 1) {
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
int Plan<T>::type() const { return impl_->type; }
template <class T>
int Plan<T>::dimensions() const { return impl_->dims; }
template <class T>
std::size_t Plan<T>::modes() const { return impl_->modes[0] * impl_->modes[1] * impl_->modes[2]; }
template <class T>
std::size_t Plan<T>::points() const { return impl_->n_points; }
template <class T>
int Plan<T>::kernel_width() const { return impl_->kernel.width; }
template <class T>
std::vector<std::size_t> Plan<T>::fine_grid() const {
  const Impl& p = *impl_;
  if (p.dims == 1) return {p.nf[2]};
  if (p.dims == 2) return {p.nf[0], p.nf[2]};
  return {p.nf[0], p.nf[1], p.nf[2]};
}
template <class T>
const Timings& Plan<T>::timings() const { return impl_->timings; }

template class Plan<float>;
template class Plan<double>;

}  // namespace xpulse::nufft
