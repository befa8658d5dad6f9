#include "sim/molecular_transform.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/error.h"
#include "sim/form_factors.h"

namespace xpulse::sim {
MolecularTransform::MolecularTransform(const AtomSet& atoms, double q_max, double eps, unsigned threads) {
  if (atoms.position.empty()) throw InputError("the molecule has no atoms");
  if (!(q_max > 0) || !std::isfinite(q_max)) throw InvalidArgument(fmt::format("q_max = {} must be > 0", q_max));
  std::map<int, std::vector<std::size_t>> by_element;
  for (std::size_t j = 0; j < atoms.position.size(); ++j) by_element[atoms.atomic_number[j]].push_back(j);
  for (const auto& [z, members] : by_element) {
    Element e{FormFactorTable(z, q_max), nullptr};
    std::vector<double> x, y, zz;
    std::vector<std::complex<double>> c;
    for (std::size_t j : members) {
      x.push_back(atoms.position[j][0]);
      y.push_back(atoms.position[j][1]);
      zz.push_back(atoms.position[j][2]);
      c.emplace_back(atoms.occupancy.empty() ? 1.0 : atoms.occupancy[j], 0.0);
    }
    e.transform = std::make_unique<nufft::Type3Transform>(std::array<double, 3>{q_max, q_max, q_max}, eps, +1, threads);
    e.transform->set_sources(c.size(), x.data(), y.data(), zz.data(), c.data());
    elements_.push_back(std::move(e));
  }
}

MolecularTransform::~MolecularTransform() = default;

void MolecularTransform::evaluate(std::size_t m, const double* qx, const double* qy, const double* qz,
                                  std::complex<double>* f) {
  std::fill(f, f + m, std::complex<double>(0));
  std::vector<double> norm(m);
  for (std::size_t i = 0; i < m; ++i) norm[i] = std::sqrt(qx[i] * qx[i] + qy[i] * qy[i] + qz[i] * qz[i]);
  std::vector<std::complex<double>> part(m);
  for (Element& e : elements_) {
    e.transform->evaluate(m, qx, qy, qz, part.data());
    for (std::size_t i = 0; i < m; ++i) f[i] += e.form_factor(norm[i]) * part[i];
  }
}

std::complex<double> MolecularTransform::direct(const AtomSet& atoms, const geometry::Vec3& q) {
  std::complex<double> f(0);
  const double qn = geometry::norm(q);
  std::map<int, double> ff;
  for (std::size_t j = 0; j < atoms.position.size(); ++j) {
    const int z = atoms.atomic_number[j];
    auto it = ff.find(z);
    if (it == ff.end()) it = ff.emplace(z, atomic_form_factor(z, qn)).first;
    const double occupancy = atoms.occupancy.empty() ? 1.0 : atoms.occupancy[j];
    f += occupancy * it->second * std::polar(1.0, geometry::dot(q, atoms.position[j]));
  }
  return f;
}

}  // namespace xpulse::sim
