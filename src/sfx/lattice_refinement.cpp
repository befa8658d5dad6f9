#include "sfx/lattice_refinement.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <Eigen/Dense>

#include "sfx/cell_parameters.h"
#include "sfx/still_geometry.h"

namespace xpulse::sfx {
namespace {

using geometry::Mat3;
using geometry::Vec3;

constexpr int kRounds = 4, kIterations = 25;
constexpr double kOutlier = 5;
constexpr double kLengthTie = 0.01, kAngleTie = 1.0;  // restraint widths: relative, degrees

// The spread of the excitation errors of observed spots grows with resolution (mosaic spread) on top of a
// constant part (domain size, bandwidth): eps^2 ~ rho^2 + eta^2 |s|^2, fitted to the residuals.
struct ExcitationScale {
  double rho2 = 1e-8, eta2 = 0;
  double at(double s2) const { return std::sqrt(std::max(rho2 + eta2 * s2, 1e-12)); }
};

struct Model {
  const geometry::Detector& detector;
  Mat3 u0;
  geometry::UnitCell start;
  CellParameters cell;
  std::span<const PeakObservation> peaks;
  std::vector<double> target, target_sigma;  // the given cell's free parameters and their restraint widths

  // UB of parameter vector p = (three rotations in radians, then the free cell parameters).
  Mat3 ub(const Eigen::VectorXd& p) const {
    const Mat3 r = geometry::mul(geometry::rotation_about({0, 0, 1}, p[2]),
                                 geometry::mul(geometry::rotation_about({0, 1, 0}, p[1]),
                                               geometry::rotation_about({1, 0, 0}, p[0])));
    return geometry::mul(geometry::mul(r, u0), cell.unpack(p.data() + 3, start).b_matrix());
  }
  // Per peak: dx, dy (pixels) and the excitation error (1/Angstrom); false when the ray misses the detector.
  bool predict(const Mat3& ub, const PeakObservation& o, double& dx, double& dy, double& eps, double& s2) const {
    const Vec3 s = geometry::mul(ub, Vec3{double(o.hkl[0]), double(o.hkl[1]), double(o.hkl[2])});
    s2 = geometry::dot(s, s);
    double x = 0, y = 0;
    if (!s_to_pixel(detector, s, x, y)) return false;
    dx = x - o.x, dy = y - o.y, eps = excitation_error(detector, s);
    return true;
  }
  // Weighted residuals of the kept peaks.
  Eigen::VectorXd residuals(const Eigen::VectorXd& p, const std::vector<std::uint8_t>& keep, double sigma_px,
                            const ExcitationScale& sigma_eps) const {
    const Mat3 m = ub(p);
    const auto n = static_cast<Eigen::Index>(peaks.size());
    Eigen::VectorXd r = Eigen::VectorXd::Zero(3 * n + static_cast<Eigen::Index>(target.size()));
    for (std::size_t i = 0; i < peaks.size(); ++i) {
      double dx = 0, dy = 0, eps = 0, s2 = 0;
      if (!keep[i] || !predict(m, peaks[i], dx, dy, eps, s2)) continue;
      const auto j = static_cast<Eigen::Index>(3 * i);
      r[j] = dx / sigma_px, r[j + 1] = dy / sigma_px, r[j + 2] = eps / sigma_eps.at(s2);
    }
    // Tied to the given cell (1% of a length, 1 degree of an angle), as DIALS ties stills' cells to a target:
    // directions the still's peaks barely see stay near it instead of wandering.
    for (std::size_t a = 0; a < target.size(); ++a) {
      r[3 * n + static_cast<Eigen::Index>(a)] = (p[3 + static_cast<Eigen::Index>(a)] - target[a]) / target_sigma[a];
    }
    return r;
  }
};

// Levenberg-Marquardt with a central-difference Jacobian (a handful of parameters, a few hundred residuals).
Eigen::VectorXd levenberg_marquardt(const Model& model, Eigen::VectorXd p, const std::vector<std::uint8_t>& keep,
                                    double sigma_px, const ExcitationScale& sigma_eps) {
  const Eigen::Index n = p.size();
  Eigen::VectorXd r = model.residuals(p, keep, sigma_px, sigma_eps);
  double cost = r.squaredNorm(), lambda = 1e-3;
  Eigen::VectorXd step_size(n);
  for (Eigen::Index a = 0; a < n; ++a) step_size[a] = a < 3 ? 1e-6 : 1e-6 * std::max(1.0, std::abs(p[a]));
  for (int it = 0; it < kIterations; ++it) {
    Eigen::MatrixXd j(r.size(), n);
    for (Eigen::Index a = 0; a < n; ++a) {
      Eigen::VectorXd plus = p, minus = p;
      plus[a] += step_size[a], minus[a] -= step_size[a];
      j.col(a) = (model.residuals(plus, keep, sigma_px, sigma_eps) - model.residuals(minus, keep, sigma_px, sigma_eps)) /
                 (2 * step_size[a]);
    }
    const Eigen::MatrixXd jtj = j.transpose() * j;
    const Eigen::VectorXd g = j.transpose() * r;
    bool improved = false;
    for (int tries = 0; tries < 8 && !improved; ++tries) {
      Eigen::MatrixXd a = jtj;
      for (Eigen::Index d = 0; d < n; ++d) a(d, d) += lambda * std::max(jtj(d, d), 1e-12);
      const Eigen::VectorXd delta = a.ldlt().solve(-g);
      const Eigen::VectorXd trial = p + delta;
      const Eigen::VectorXd rt = model.residuals(trial, keep, sigma_px, sigma_eps);
      if (rt.squaredNorm() < cost) {
        const double gain = cost - rt.squaredNorm();
        p = trial, r = rt, cost = rt.squaredNorm(), lambda = std::max(lambda / 10, 1e-9), improved = true;
        if (gain < 1e-10 * std::max(cost, 1e-30)) return p;
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }
  return p;
}

}  // namespace

RefinedLattice refine_lattice(const geometry::Detector& detector, const Mat3& u, const geometry::UnitCell& cell,
                              std::span<const PeakObservation> peaks) {
  const CellParameters parameters = CellParameters::of(cell);
  const std::vector<double> packed = parameters.pack(cell);
  std::vector<double> widths(packed.size());
  for (std::size_t a = 0; a < packed.size(); ++a) widths[a] = parameters.is_length(a) ? kLengthTie * packed[a] : kAngleTie;
  const Model model{detector, u, cell, parameters, peaks, packed, widths};
  Eigen::VectorXd p = Eigen::VectorXd::Zero(3 + static_cast<Eigen::Index>(packed.size()));
  for (std::size_t a = 0; a < packed.size(); ++a) p[3 + static_cast<Eigen::Index>(a)] = packed[a];
  std::vector<std::uint8_t> keep(peaks.size(), 1);
  // The two noise scales from the residuals of the kept peaks; outliers set aside.
  double sigma_px = 0;
  ExcitationScale sigma_eps;
  std::vector<double> abs_eps;
  const auto measure = [&](const Eigen::VectorXd& q, bool prune) {
    const Mat3 m = model.ub(q);
    // The position scatter from the median distance (robust to the other lattice's peaks a multi-lattice frame
    // lends): for 2D Gaussian scatter the median distance is 1.1774 sigma per axis.
    std::vector<double> distance;
    for (std::size_t i = 0; i < peaks.size() && prune; ++i) {
      double dx = 0, dy = 0, eps = 0, s2 = 0;
      if (keep[i] && model.predict(m, peaks[i], dx, dy, eps, s2)) distance.push_back(std::hypot(dx, dy));
    }
    if (!distance.empty()) {
      std::nth_element(distance.begin(), distance.begin() + static_cast<std::ptrdiff_t>(distance.size() / 2),
                       distance.end());
      sigma_px = std::max(distance[distance.size() / 2] / 1.1774, 0.01);
    }
    double sum_px = 0;
    // Least squares of eps^2 = rho^2 + eta^2 s^2 (both >= 0).
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    abs_eps.clear();
    for (std::size_t i = 0; i < peaks.size(); ++i) {
      double dx = 0, dy = 0, eps = 0, s2 = 0;
      const bool seen = model.predict(m, peaks[i], dx, dy, eps, s2);
      if (prune && keep[i] && (!seen || std::hypot(dx, dy) > kOutlier * sigma_px * std::sqrt(2.0) ||
                               std::abs(eps) > kOutlier * sigma_eps.at(s2))) {
        keep[i] = 0;
      }
      if (!keep[i] || !seen) continue;
      sum_px += dx * dx + dy * dy;
      n += 1, sx += s2, sy += eps * eps, sxx += s2 * s2, sxy += s2 * eps * eps;
      abs_eps.push_back(std::abs(eps));
    }
    sigma_px = std::max(std::sqrt(sum_px / std::max(1.0, 2.0 * n)), 0.01);
    const double det = n * sxx - sx * sx;
    double eta2 = det > 0 ? (n * sxy - sx * sy) / det : 0, rho2 = (sy - eta2 * sx) / std::max(1.0, n);
    if (eta2 < 0) eta2 = 0, rho2 = sy / std::max(1.0, n);
    if (rho2 < 0) rho2 = 0, eta2 = sxx > 0 ? sxy / sxx : 0;
    sigma_eps = {std::max(rho2, 1e-12), eta2};
    return static_cast<std::size_t>(n);
  };
  std::size_t used = measure(p, false);
  if (peaks.size() >= 6) {
    for (int round = 0; round < kRounds; ++round) {
      p = levenberg_marquardt(model, p, keep, sigma_px, sigma_eps);
      used = measure(p, false);
      used = measure(p, true);
    }
  }
  RefinedLattice out;
  out.ub = model.ub(p);
  out.cell = parameters.unpack(p.data() + 3, cell);
  out.rms_px = sigma_px * std::sqrt(2.0);
  out.used = used;
  out.kept = keep;
  std::sort(abs_eps.begin(), abs_eps.end());
  out.profile_radius = abs_eps.empty() ? 0 : abs_eps[std::min(abs_eps.size() - 1, abs_eps.size() * 95 / 100)];
  return out;
}

}  // namespace xpulse::sfx
