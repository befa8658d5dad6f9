#include "sim/structure_factors.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <numbers>

#include "core/error.h"
#include "nufft/plan.h"
#include "sim/form_factors.h"

namespace xpulse::sim {

std::vector<std::complex<double>> structure_factors(const AtomSet& atoms, const geometry::UnitCell& cell,
                                                    std::span<const std::array<int, 3>> hkl, double eps,
                                                    unsigned threads) {
  if (atoms.position.empty()) throw InputError("the crystal has no atoms");
  std::vector<std::complex<double>> f(hkl.size());
  if (hkl.empty()) return f;
  std::array<int, 3> reach{};
  for (const auto& m : hkl)
    for (int d = 0; d < 3; ++d) reach[d] = std::max(reach[d], std::abs(m[d]));
  // Modes -reach..reach per axis, centred: index h + reach.
  const std::array<std::size_t, 3> modes{2 * static_cast<std::size_t>(reach[0]) + 1,
                                         2 * static_cast<std::size_t>(reach[1]) + 1,
                                         2 * static_cast<std::size_t>(reach[2]) + 1};
  const geometry::Mat3 b = cell.b_matrix();
  const geometry::Mat3 to_fractional = geometry::transpose(b);  // x = B^T r, as B^T A = I for the real basis A
  std::vector<double> q(hkl.size());
  for (std::size_t r = 0; r < hkl.size(); ++r) {
    const geometry::Vec3 s = geometry::mul(b, geometry::Vec3{static_cast<double>(hkl[r][0]),
                                                             static_cast<double>(hkl[r][1]),
                                                             static_cast<double>(hkl[r][2])});
    q[r] = 2 * std::numbers::pi * geometry::norm(s);
  }
  const double q_max = *std::max_element(q.begin(), q.end()) * 1.001 + 1e-12;
  std::map<int, std::vector<std::size_t>> by_element;
  for (std::size_t j = 0; j < atoms.position.size(); ++j) by_element[atoms.atomic_number[j]].push_back(j);
  nufft::Plan<double> plan(1, modes, eps, nufft::PlanOptions{+1, threads, nufft::ModeOrder::centered});
  std::vector<std::complex<double>> sums(modes[0] * modes[1] * modes[2]);
  for (const auto& [z, members] : by_element) {
    // 2 pi x wrapped into [-pi, pi): exp(2 pi i h x) is periodic in x for integer h.
    std::vector<double> x[3];
    std::vector<std::complex<double>> weight;
    for (std::size_t j : members) {
      const geometry::Vec3 fractional = geometry::mul(to_fractional, atoms.position[j]);
      for (int d = 0; d < 3; ++d) {
        const double t = 2 * std::numbers::pi * (fractional[d] - std::floor(fractional[d]));
        x[d].push_back(t >= std::numbers::pi ? t - 2 * std::numbers::pi : t);
      }
      weight.emplace_back(atoms.occupancy.empty() ? 1.0 : atoms.occupancy[j], 0.0);
    }
    plan.set_points(weight.size(), x[0].data(), x[1].data(), x[2].data());
    plan.execute(weight.data(), sums.data());
    const FormFactorTable form_factor(z, q_max);
    for (std::size_t r = 0; r < hkl.size(); ++r) {
      const std::size_t i = static_cast<std::size_t>(hkl[r][0] + reach[0]) +
                            modes[0] * (static_cast<std::size_t>(hkl[r][1] + reach[1]) +
                                        modes[1] * static_cast<std::size_t>(hkl[r][2] + reach[2]));
      f[r] += form_factor(q[r]) * sums[i];
    }
  }
  return f;
}

}  // namespace xpulse::sim
