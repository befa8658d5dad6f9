#pragma once
// Atomic form factors f(q) for elastic (Rayleigh) scattering, from xraylib, in electrons.
#include <string>
#include <vector>

namespace xpulse::sim {

// The atomic number of an element symbol ("C", "Zn", "ZN"); InputError for an unknown symbol.
int atomic_number(const std::string& symbol);

// f of element Z at momentum transfer |q| (1/angstrom, q = 4 pi sin(theta) / lambda, theta half the
// scattering angle); xraylib tabulates it against sin(theta) / lambda = |q| / (4 pi).
double atomic_form_factor(int z, double q);

}  // namespace xpulse::sim
