#include "nufft/plan_geometry.h"

#include <numbers>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::nufft {

std::vector<std::size_t> PlanGeometry::fine_grid() const {
  if (dims == 1) return {nf[2]};
  if (dims == 2) return {nf[0], nf[2]};
  return {nf[0], nf[1], nf[2]};
}

template <class T>
PlanGeometry make_plan_geometry(int type, std::span<const std::size_t> modes, double eps, const PlanOptions& options) {
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
  PlanGeometry g;
  g.type = type;
  g.dims = static_cast<int>(modes.size());
  g.options = options;
  g.kernel = EsKernel::for_tolerance(eps);
  const int slot[3][3] = {{2, -1, -1}, {0, 2, -1}, {0, 1, 2}};
  for (int d = 0; d < g.dims; ++d) {
    const int m = slot[g.dims - 1][d];
    g.modes[m] = modes[static_cast<std::size_t>(d)];
    g.nf[m] = fine_grid_size(g.modes[m], g.kernel.width);
    g.width[m] = g.kernel.width;
  }
  for (int m = 0; m < 3; ++m) {
    const std::size_t n = g.modes[m];
    g.grid_index[m].resize(n);
    g.correction[m].resize(n);
    if (g.width[m] == 1) {  // an unused dimension
      g.grid_index[m][0] = 0;
      g.correction[m][0] = 1.0;
      continue;
    }
    const std::vector<double> phihat = g.kernel.fourier_series(n, g.nf[m]);
    const auto half = static_cast<std::ptrdiff_t>(n / 2);
    const auto nn = static_cast<std::ptrdiff_t>(n);
    const auto nf = static_cast<std::ptrdiff_t>(g.nf[m]);
    for (std::size_t i = 0; i < n; ++i) {
      // Centered: index i is k = i - N/2. FFT order: k = i for i <= (N-1)/2, else i - N.
      const auto ii = static_cast<std::ptrdiff_t>(i);
      const std::ptrdiff_t k = options.order == ModeOrder::centered ? ii - half : (ii <= (nn - 1) / 2 ? ii : ii - nn);
      g.grid_index[m][i] = static_cast<std::size_t>((k % nf + nf) % nf);
      g.correction[m][i] = 1.0 / phihat[static_cast<std::size_t>(k + half)];
    }
  }
  return g;
}

template <class T>
std::array<const T*, 3> mapped_coordinates(const PlanGeometry& g, std::size_t n, const T* x, const T* y,
                                           const T* z) {
  const T* given[3] = {x, y, z};
  for (int d = 0; d < g.dims; ++d) {
    if (given[d] == nullptr && n > 0) {
      throw InvalidArgument(fmt::format("NUFFT set_points: coordinate {} is missing for a {}D plan", "xyz"[d], g.dims));
    }
  }
  std::array<const T*, 3> mapped = {nullptr, nullptr, nullptr};
  if (g.dims == 1) mapped[2] = x;
  if (g.dims == 2) mapped[0] = x, mapped[2] = y;
  if (g.dims == 3) mapped[0] = x, mapped[1] = y, mapped[2] = z;
  const double limit = 3.0 * std::numbers::pi;
  for (const T* c : mapped) {
    if (c == nullptr) continue;
    for (std::size_t p = 0; p < n; ++p) {
      const auto v = static_cast<double>(c[p]);
      if (!(v >= -limit && v < limit)) {
        throw InputError(fmt::format("non-uniform point {} has coordinate {} outside [-3 pi, 3 pi)", p, v));
      }
    }
  }
  return mapped;
}

template PlanGeometry make_plan_geometry<float>(int, std::span<const std::size_t>, double, const PlanOptions&);
template PlanGeometry make_plan_geometry<double>(int, std::span<const std::size_t>, double, const PlanOptions&);
template std::array<const float*, 3> mapped_coordinates(const PlanGeometry&, std::size_t, const float*,
                                                        const float*, const float*);
template std::array<const double*, 3> mapped_coordinates(const PlanGeometry&, std::size_t, const double*,
                                                         const double*, const double*);

}  // namespace xpulse::nufft
