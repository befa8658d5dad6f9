#pragma once
// Atomic form factors f(q) for elastic (Rayleigh) scattering, from xraylib, in electrons.
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace xpulse::sim {

// The atomic number of an element symbol ("C", "Zn", "ZN"); InputError for an unknown symbol.
int atomic_number(const std::string& symbol);

// f of element Z at momentum transfer |q| (1/angstrom, q = 4 pi sin(theta) / lambda, theta half the
// scattering angle); xraylib tabulates it against sin(theta) / lambda = |q| / (4 pi).
double atomic_form_factor(int z, double q);

// f of one element tabulated at 8192 points of |q| in [0, q_max] and interpolated linearly (relative error
// < 1e-6), for transforms that need it at millions of |q|.
class FormFactorTable {
 public:
  FormFactorTable(int z, double q_max);
  int z() const { return z_; }
  double operator()(double q) const {
    const double t = q / step_;
    const std::size_t i = std::min(static_cast<std::size_t>(t), table_.size() - 2);
    const double frac = t - static_cast<double>(i);
    return table_[i] + frac * (table_[i + 1] - table_[i]);
  }

 private:
  int z_ = 0;
  double step_ = 0;
  std::vector<double> table_;
};

}  // namespace xpulse::sim
