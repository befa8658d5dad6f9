#pragma once
// The molecular transform F(q) = sum_j f_j(|q|) exp(i q . r_j) of a set of atoms at any reciprocal vectors q
// (1/angstrom, |q| = 4 pi sin(theta) / lambda): one type 3 NUFFT per element, each weighted by the element's
// form factor (xraylib, tabulated finely in |q| and interpolated linearly, relative error < 1e-6).
#include <complex>
#include <cstddef>
#include <memory>
#include <vector>

#include "geometry/mat3.h"
#include "nufft/type3.h"
#include "sim/form_factors.h"

namespace xpulse::sim {

struct AtomSet {
  std::vector<geometry::Vec3> position;  // angstrom
  std::vector<int> atomic_number;
  std::vector<double> occupancy;         // scales each atom's form factor
};

class MolecularTransform {
 public:
  // Targets will have |q| <= q_max. eps: the NUFFT tolerance.
  MolecularTransform(const AtomSet& atoms, double q_max, double eps, unsigned threads);
  ~MolecularTransform();

  // F at m reciprocal vectors (molecule frame).
  void evaluate(std::size_t m, const double* qx, const double* qy, const double* qz, std::complex<double>* f);

  // The direct sum over atoms (for tests and single values): exact up to rounding.
  static std::complex<double> direct(const AtomSet& atoms, const geometry::Vec3& q);

 private:
  struct Element {
    FormFactorTable form_factor;
    std::unique_ptr<nufft::Type3Transform> transform;
  };
  std::vector<Element> elements_;
};

}  // namespace xpulse::sim
