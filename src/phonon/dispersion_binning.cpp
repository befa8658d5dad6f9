#include "phonon/dispersion_binning.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::phonon {

void BinEdges::validate() const {
  if (count < 1) throw InvalidArgument("--q-bins must be >= 1");
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) {
    throw InvalidArgument(fmt::format("q range [{}, {}] is empty or not finite", lo, hi));
  }
}

std::ptrdiff_t BinEdges::index(double x) const {
  if (!(x >= lo && x <= hi)) return -1;  // also rejects NaN
  const auto b = static_cast<std::ptrdiff_t>((x - lo) / width());
  return std::min<std::ptrdiff_t>(b, static_cast<std::ptrdiff_t>(count) - 1);
}

std::vector<double> BinEdges::edges() const {
  std::vector<double> e(count + 1);
  for (std::size_t b = 0; b <= count; ++b) e[b] = lo + static_cast<double>(b) * width();
  return e;
}

std::vector<double> BinEdges::centers() const {
  std::vector<double> c(count);
  for (std::size_t b = 0; b < count; ++b) c[b] = center(b);
  return c;
}

BinnedDispersion bin_dispersion(const BinEdges& edges, std::span<const double> coordinate,
                                std::span<const double> value, std::span<const double> sigma) {
  edges.validate();
  const std::size_t nb = edges.count;
  // Per bin: sum w, sum w x, sum w x^2, sum x, sum x^2, sum w q, n.
  std::vector<double> sw(nb), swx(nb), swxx(nb), sx(nb), sxx(nb), sq(nb);
  std::vector<std::uint64_t> n(nb);
  for (std::size_t i = 0; i < coordinate.size(); ++i) {
    const std::ptrdiff_t b = edges.index(coordinate[i]);
    const double x = value[i], s = sigma[i];
    if (b < 0 || !std::isfinite(x) || !(s > 0.0) || !std::isfinite(s)) continue;
    const double w = 1.0 / (s * s);
    sw[b] += w;
    swx[b] += w * x;
    swxx[b] += w * x * x;
    sx[b] += x;
    sxx[b] += x * x;
    sq[b] += w * coordinate[i];
    ++n[b];
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  BinnedDispersion out;
  out.q_center = edges.centers();
  for (std::size_t b = 0; b < nb; ++b) {
    out.count.push_back(n[b]);
    if (n[b] == 0) {
      out.q_mean.push_back(nan);
      out.frequency.push_back(nan);
      out.frequency_err.push_back(nan);
      out.frequency_std.push_back(nan);
      continue;
    }
    const double nn = static_cast<double>(n[b]);
    const double mean = swx[b] / sw[b];
    double err = std::sqrt(1.0 / sw[b]);
    if (n[b] > 1) {
      // chi2 of the bin's values about their weighted mean, per degree of freedom (Birge ratio squared).
      const double chi2 = std::max(0.0, swxx[b] - sw[b] * mean * mean) / (nn - 1.0);
      err *= std::max(1.0, std::sqrt(chi2));
    }
    const double plain = sx[b] / nn;
    out.q_mean.push_back(sq[b] / sw[b]);
    out.frequency.push_back(mean);
    out.frequency_err.push_back(err);
    out.frequency_std.push_back(n[b] > 1 ? std::sqrt(std::max(0.0, (sxx[b] - nn * plain * plain) / (nn - 1.0))) : 0.0);
  }
  return out;
}

std::vector<double> bin_mean(const BinEdges& edges, std::span<const double> coordinate,
                             std::span<const double> value) {
  edges.validate();
  std::vector<double> sum(edges.count);
  std::vector<std::uint64_t> n(edges.count);
  for (std::size_t i = 0; i < coordinate.size(); ++i) {
    const std::ptrdiff_t b = edges.index(coordinate[i]);
    if (b < 0 || !std::isfinite(value[i])) continue;
    sum[b] += value[i];
    ++n[b];
  }
  std::vector<double> mean(edges.count, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t b = 0; b < edges.count; ++b) {
    if (n[b] > 0) mean[b] = sum[b] / static_cast<double>(n[b]);
  }
  return mean;
}

}  // namespace xpulse::phonon
