#pragma once
// Mean and spread of one raw trace over its points of positive weight, for the normalisation before seeding.
// Sums run in kMomentBlocks interleaved partial sums combined in a fixed tree: an order that the CPU backend
// vectorises and the per-pixel code (one GPU thread per trace) runs as written, so both normalise identically.
#include <cmath>

#include "core/host_device.h"

namespace xpulse::fit {

inline constexpr int kMomentBlocks = 8;

struct TraceMoments {
  bool valid = true;       // every weight >= 0 and finite, every point of positive weight finite
  int positive = 0;        // points of positive weight
  double mean = 0.0;
  double ss = 0.0;         // sum of squared deviations from the mean
  double weighted_ss = 0.0;  // the same, weighted (equals ss when unweighted)
};

namespace moments_detail {
XPULSE_HD inline bool finite(double v) { return v - v == 0.0; }  // false for NaN and +-inf; vectorises
XPULSE_HD inline double tree_sum(const double (&s)[kMomentBlocks]) {
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}
// body(k, i) for k = 0..n-1 in order, i = k % kMomentBlocks: whole blocks first (they vectorise), then the rest.
template <class Body>
XPULSE_HD void for_blocks(int n, const Body& body) {
  int k0 = 0;
  for (; k0 + kMomentBlocks <= n; k0 += kMomentBlocks) {
    for (int i = 0; i < kMomentBlocks; ++i) body(k0 + i, i);
  }
  for (int i = 0; k0 + i < n; ++i) body(k0 + i, i);
}
}  // namespace moments_detail

// value(k) and weight(k) return point k's raw value and weight as double; weight is only called when Weighted.
template <bool Weighted, class Value, class Weight>
XPULSE_HD TraceMoments trace_moments(int n, const Value& value, const Weight& weight) {
  using moments_detail::finite;
  TraceMoments m;
  double sum[kMomentBlocks] = {};
  double count[kMomentBlocks] = {};
  double bad[kMomentBlocks] = {};
  moments_detail::for_blocks(n, [&](int k, int i) {
    const double v = value(k);
    const double w = Weighted ? weight(k) : 1.0;
    const bool used = w > 0.0;
    bad[i] += (w >= 0.0 && finite(w) && (!used || finite(v))) ? 0.0 : 1.0;
    sum[i] += used ? v : 0.0;
    count[i] += used ? 1.0 : 0.0;
  });
  m.valid = moments_detail::tree_sum(bad) == 0.0;
  m.positive = static_cast<int>(moments_detail::tree_sum(count));
  if (!m.valid || m.positive == 0) return m;
  m.mean = moments_detail::tree_sum(sum) / static_cast<double>(m.positive);
  double ss[kMomentBlocks] = {};
  double wss[kMomentBlocks] = {};
  moments_detail::for_blocks(n, [&](int k, int i) {
    const double w = Weighted ? weight(k) : 1.0;
    const double d = value(k) - m.mean;
    const double d2 = w > 0.0 ? d * d : 0.0;
    ss[i] += d2;
    wss[i] += w > 0.0 ? w * d2 : 0.0;
  });
  m.ss = moments_detail::tree_sum(ss);
  m.weighted_ss = Weighted ? moments_detail::tree_sum(wss) : m.ss;
  return m;
}

}  // namespace xpulse::fit
