#include "sfx/merge_statistics.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace xpulse::sfx {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Sums over the reflections of one shell (or of all).
struct Sums {
  std::size_t unique = 0, possible = 0, observations = 0, with_sigma = 0;
  double i_over_sigma = 0;
  std::vector<double> first, second;  // the half means of reflections in both halves
  double split_difference = 0, split_sum = 0;
  std::vector<double> means, error_variances;  // for sigma-tau: reflections with >= 2 observations

  void add(const ReflectionSummary& r) {
    ++unique, observations += r.observations;
    if (r.sigma > 0) i_over_sigma += r.intensity / r.sigma, ++with_sigma;
    if (std::isfinite(r.half1) && std::isfinite(r.half2)) {
      first.push_back(r.half1), second.push_back(r.half2);
      split_difference += std::abs(r.half1 - r.half2), split_sum += 0.5 * std::abs(r.half1 + r.half2);
    }
    if (std::isfinite(r.error_variance)) means.push_back(r.intensity), error_variances.push_back(r.error_variance);
  }

  ShellStatistics finish(double d_max, double d_min) const {
    ShellStatistics s;
    s.d_max = d_max, s.d_min = d_min, s.unique = unique, s.possible = possible, s.observations = observations;
    s.completeness = possible ? static_cast<double>(unique) / static_cast<double>(possible) : kNaN;
    s.multiplicity = unique ? static_cast<double>(observations) / static_cast<double>(unique) : kNaN;
    s.mean_i_over_sigma = with_sigma ? i_over_sigma / static_cast<double>(with_sigma) : kNaN;
    s.pairs = first.size();
    s.cc_half = pearson(first, second);
    s.cc_star = !std::isfinite(s.cc_half) ? kNaN : s.cc_half <= 0 ? 0.0 : std::sqrt(2 * s.cc_half / (1 + s.cc_half));
    s.r_split = split_sum > 0 ? split_difference / (std::sqrt(2.0) * split_sum) : kNaN;
    s.cc_half_sigma_tau = kNaN;
    if (means.size() >= 2) {
      double mean = 0, var_e = 0;
      for (std::size_t i = 0; i < means.size(); ++i) mean += means[i], var_e += error_variances[i];
      mean /= static_cast<double>(means.size()), var_e /= static_cast<double>(means.size());
      double var_y = 0;
      for (double m : means) var_y += (m - mean) * (m - mean);
      var_y /= static_cast<double>(means.size() - 1);
      if (var_y + var_e > 0) s.cc_half_sigma_tau = (var_y - var_e) / (var_y + var_e);
    }
    return s;
  }
};

}  // namespace

std::vector<double> shell_edges(double d_max, double d_min, std::size_t shells) {
  if (!(d_max > d_min) || !(d_min > 0) || shells < 1) {
    throw InvalidArgument("resolution shells need d_max > d_min > 0 and at least one shell");
  }
  const double lo = std::pow(1 / d_max, 3), hi = std::pow(1 / d_min, 3);
  std::vector<double> edges(shells + 1);
  for (std::size_t i = 0; i <= shells; ++i) {
    const double v = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(shells);
    edges[i] = 1 / std::cbrt(v);
  }
  edges.front() = d_max, edges.back() = d_min;
  return edges;
}

int shell_of(double d, std::span<const double> edges) {
  if (edges.size() < 2 || !(d <= edges.front()) || !(d >= edges.back())) return -1;
  // Edges decrease; shell i holds (edges[i+1], edges[i]], and d_min itself.
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    if (d > edges[i + 1]) return static_cast<int>(i);
  }
  return static_cast<int>(edges.size() - 2);
}

double pearson(std::span<const double> a, std::span<const double> b) {
  const std::size_t n = a.size();
  if (n < 2 || b.size() != n) return kNaN;
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= static_cast<double>(n), mb /= static_cast<double>(n);
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : kNaN;
}

MergeStatistics merge_statistics(std::span<const ReflectionSummary> reflections, std::span<const double> edges,
                                 std::span<const std::size_t> possible) {
  if (edges.size() < 2 || possible.size() + 1 != edges.size()) {
    throw InvalidArgument("merge_statistics: need one possible count per shell");
  }
  const std::size_t shells = edges.size() - 1;
  std::vector<Sums> by_shell(shells);
  Sums all;
  for (std::size_t i = 0; i < shells; ++i) by_shell[i].possible = possible[i], all.possible += possible[i];
  for (const ReflectionSummary& r : reflections) {
    const int s = shell_of(r.d, edges);
    if (s < 0) continue;
    by_shell[static_cast<std::size_t>(s)].add(r);
    all.add(r);
  }
  MergeStatistics out;
  for (std::size_t i = 0; i < shells; ++i) out.shells.push_back(by_shell[i].finish(edges[i], edges[i + 1]));
  out.overall = all.finish(edges.front(), edges.back());
  return out;
}

}  // namespace xpulse::sfx
