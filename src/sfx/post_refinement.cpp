#include "sfx/post_refinement.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Dense>

namespace xpulse::sfx {
namespace {

constexpr double kMaxRotation = 0.01;  // radians (0.57 deg): a post-refinement corrects, it does not re-index
constexpr int kIterations = 20;

// The parameters that are refined, packed; widths as logarithms so that they stay positive and can move from
// any start.
struct Packing {
  PartialityModel model;
  PostRefinementOptions options;

  std::vector<double> pack(const CrystalModel& c) const {
    std::vector<double> p;
    if (options.scale) p.push_back(c.g);
    if (options.b_factor) p.push_back(c.b);
    if (options.geometry && model != PartialityModel::unity) {
      p.push_back(c.rx), p.push_back(c.ry);
      if (model == PartialityModel::offset) p.push_back(std::log(c.rho)), p.push_back(std::log(c.eta));
      if (model == PartialityModel::xsphere) p.push_back(std::log(c.radius));
    }
    return p;
  }
  CrystalModel unpack(const std::vector<double>& p, CrystalModel c) const {
    std::size_t i = 0;
    if (options.scale) c.g = p[i++];
    if (options.b_factor) c.b = p[i++];
    if (options.geometry && model != PartialityModel::unity) {
      c.rx = std::clamp(p[i++], -kMaxRotation, kMaxRotation), c.ry = std::clamp(p[i++], -kMaxRotation, kMaxRotation);
      if (model == PartialityModel::offset) c.rho = std::exp(p[i]), c.eta = std::exp(p[i + 1]), i += 2;
      if (model == PartialityModel::xsphere) c.radius = std::exp(p[i]), ++i;
    }
    return c;
  }
};

void residuals(const CrystalModel& c, std::span<const PostRefinementTerm> terms, PartialityModel model,
               Eigen::VectorXd& r) {
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const PostRefinementTerm& t = terms[i];
    const double predicted = c.g * std::exp(-c.b / (2 * t.d * t.d)) * t.polarization *
                             model_partiality(c, t.hkl, model) * t.reference;
    r[static_cast<Eigen::Index>(i)] = (t.intensity - predicted) / t.sigma;
  }
}

}  // namespace

double model_partiality(const CrystalModel& c, const std::array<int, 3>& hkl, PartialityModel model) {
  if (model == PartialityModel::unity) return 1;
  geometry::Vec3 s{};
  for (int r = 0; r < 3; ++r) s[r] = c.ub[r][0] * hkl[0] + c.ub[r][1] * hkl[1] + c.ub[r][2] * hkl[2];
  // Small rotations about x, then y.
  const double cx = std::cos(c.rx), sx = std::sin(c.rx), cy = std::cos(c.ry), sy = std::sin(c.ry);
  const geometry::Vec3 a{s[0], cx * s[1] - sx * s[2], sx * s[1] + cx * s[2]};
  const geometry::Vec3 v{cy * a[0] + sy * a[2], a[1], -sy * a[0] + cy * a[2]};
  const double s2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
  const double eps = std::sqrt(v[0] * v[0] + v[1] * v[1] + (v[2] + c.k) * (v[2] + c.k)) - c.k;
  if (model == PartialityModel::offset) {
    const double width2 = c.rho * c.rho + c.eta * c.eta * s2;
    return width2 > 0 ? std::exp(-eps * eps / (2 * width2)) : 0.0;
  }
  return partiality(PartialityModel::xsphere, eps, std::sqrt(s2), c.k, c.bandwidth, c.radius);
}

CrystalModel post_refine(const CrystalModel& start, std::span<const PostRefinementTerm> terms, PartialityModel model,
                         const PostRefinementOptions& options, double* cost_before, double* cost_after) {
  const Packing packing{model, options};
  std::vector<double> p = packing.pack(start);
  const std::size_t n = terms.size(), m = p.size();
  Eigen::VectorXd r(static_cast<Eigen::Index>(n)), trial(static_cast<Eigen::Index>(n));
  residuals(start, terms, model, r);
  double cost = r.squaredNorm();
  if (cost_before) *cost_before = n ? cost / static_cast<double>(n) : 0;
  CrystalModel best = start;
  if (m > 0 && n > m) {
    double lambda = 1e-3;
    Eigen::MatrixXd j(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(m));
    for (int it = 0; it < kIterations; ++it) {
      for (std::size_t k = 0; k < m; ++k) {
        std::vector<double> q = p;
        const double h = 1e-6 * std::max(1e-3, std::abs(p[k]));
        q[k] += h;
        residuals(packing.unpack(q, start), terms, model, trial);
        j.col(static_cast<Eigen::Index>(k)) = (trial - r) / h;
      }
      Eigen::MatrixXd a = j.transpose() * j;
      const Eigen::VectorXd g = j.transpose() * r;
      bool improved = false;
      while (lambda < 1e10) {
        Eigen::MatrixXd damped = a;
        damped.diagonal() += lambda * a.diagonal().cwiseMax(1e-12);
        const Eigen::VectorXd step = damped.ldlt().solve(-g);
        std::vector<double> q = p;
        for (std::size_t k = 0; k < m; ++k) q[k] += step[static_cast<Eigen::Index>(k)];
        const CrystalModel candidate = packing.unpack(q, start);
        residuals(candidate, terms, model, trial);
        const double next = trial.squaredNorm();
        if (std::isfinite(next) && next < cost) {
          const bool converged = cost - next < 1e-8 * cost;
          p = packing.pack(candidate), r = trial, cost = next, best = candidate, lambda = std::max(lambda / 10, 1e-12);
          improved = !converged;
          break;
        }
        lambda *= 10;
      }
      if (!improved) break;
    }
  }
  if (cost_after) *cost_after = n ? cost / static_cast<double>(n) : 0;
  return best;
}

}  // namespace xpulse::sfx
