#include "sfx/error_model_fit.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <Eigen/Dense>

namespace xpulse::sfx {

double error_model_sigma(const ErrorModel& model, double sigma, double merged) {
  const double m = std::max(merged, 0.0);
  const double v = model.sd_fac * model.sd_fac * (sigma * sigma + model.sd_b * m + model.sd_add * model.sd_add * m * m);
  return std::sqrt(std::max(v, 1e-30));
}

ErrorModel fit_error_model(std::span<const ErrorModelTerm> terms, const ErrorModel& start) {
  if (terms.size() < 10 * kErrorModelBins) return start;
  using Bins = std::array<double, kErrorModelBins>;
  const auto residuals = [&](const Eigen::Vector3d& p) {
    const double fac2 = std::exp(2 * p[0]), sb = p[1] * p[1], sa = p[2] * p[2];
    Bins sum{}, count{};
    for (const ErrorModelTerm& t : terms) {
      const double m = t.merged;
      sum[t.bin] += t.squared_deviation / (fac2 * (t.counting_variance + sb * m + sa * sa * m * m) + t.others_variance +
                                           1e-30);
      count[t.bin] += 1;
    }
    for (std::size_t b = 0; b < kErrorModelBins; ++b) sum[b] = std::log(sum[b] / count[b] + 1e-30);
    return sum;
  };
  const auto squared = [](const Bins& r) {
    double total = 0;
    for (double v : r) total += v * v;
    return total;
  };
  Eigen::Vector3d p{0.0, 0.1, 0.2};
  double lambda = 1e-3, cost = squared(residuals(p));
  for (int it = 0; it < 60; ++it) {
    const Bins r = residuals(p);
    std::array<Bins, 3> j{};
    for (int k = 0; k < 3; ++k) {
      Eigen::Vector3d q = p;
      const double h = 1e-6 * std::max(1.0, std::abs(p[k]));
      q[k] += h;
      const Bins moved = residuals(q);
      for (std::size_t b = 0; b < kErrorModelBins; ++b) j[k][b] = (moved[b] - r[b]) / h;
    }
    Eigen::Matrix3d a;
    Eigen::Vector3d g;
    for (int x = 0; x < 3; ++x) {
      g[x] = 0;
      for (std::size_t b = 0; b < kErrorModelBins; ++b) g[x] -= j[x][b] * r[b];
      for (int y = 0; y < 3; ++y) {
        a(x, y) = 0;
        for (std::size_t b = 0; b < kErrorModelBins; ++b) a(x, y) += j[x][b] * j[y][b];
      }
    }
    a.diagonal() *= 1 + lambda;
    const Eigen::Vector3d next = p + a.ldlt().solve(g);
    const double next_cost = squared(residuals(next));
    if (std::isfinite(next_cost) && next_cost < cost) {
      const bool done = cost - next_cost < 1e-10 * cost;
      p = next, cost = next_cost, lambda = std::max(lambda / 10, 1e-9);
      if (done) break;
    } else {
      lambda *= 10;
      if (lambda > 1e8) break;
    }
  }
  return {std::exp(p[0]), p[1] * p[1], p[2] * p[2]};
}

}  // namespace xpulse::sfx
