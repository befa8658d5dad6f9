// Structure factors by type 1 NUFFT onto the Miller-index box: one atom's phase and form factor exactly, the
// test crystal's whole unit cell against the direct sum over its atoms, and no atoms refused.
#include "sim/structure_factors.h"

#include <complex>
#include <numbers>

#include <gtest/gtest.h>

#include "core/error.h"
#include "pipelines/sfx_simulate.h"
#include "sim/form_factors.h"

namespace xpulse::sim {
namespace {

std::complex<double> direct(const AtomSet& atoms, const geometry::UnitCell& cell, const std::array<int, 3>& m) {
  const geometry::Vec3 s = geometry::mul(cell.b_matrix(), geometry::Vec3{static_cast<double>(m[0]),
                                                                          static_cast<double>(m[1]),
                                                                          static_cast<double>(m[2])});
  return MolecularTransform::direct(atoms, geometry::scale(2 * std::numbers::pi, s));
}

TEST(StructureFactors, OneAtomGivesItsFormFactorAndPhase) {
  const geometry::UnitCell cell{10, 12, 14, 90, 100, 90};
  // An atom at fractional (0.1, 0.2, 1.3) of the monoclinic cell (outside it: the phase wraps).
  const geometry::Mat3 real = geometry::inverse(geometry::transpose(cell.b_matrix()));
  AtomSet atoms;
  atoms.position.push_back(geometry::mul(real, geometry::Vec3{0.1, 0.2, 1.3}));
  atoms.atomic_number.push_back(6);
  atoms.occupancy.push_back(0.5);
  const std::vector<std::array<int, 3>> hkl = {{0, 0, 1}, {1, 0, 0}, {-3, 2, 5}, {4, -6, -2}, {0, 0, 0}};
  const auto f = structure_factors(atoms, cell, hkl, 1e-9, 1);
  for (std::size_t r = 0; r < hkl.size(); ++r) {
    const auto& m = hkl[r];
    const geometry::Vec3 s = geometry::mul(cell.b_matrix(), geometry::Vec3{static_cast<double>(m[0]),
                                                                            static_cast<double>(m[1]),
                                                                            static_cast<double>(m[2])});
    const std::complex<double> expected =
        0.5 * atomic_form_factor(6, 2 * std::numbers::pi * geometry::norm(s)) *
        std::polar(1.0, 2 * std::numbers::pi * (0.1 * m[0] + 0.2 * m[1] + 1.3 * m[2]));
    EXPECT_LT(std::abs(f[r] - expected), 1e-6 * std::abs(expected)) << m[0] << " " << m[1] << " " << m[2];
  }
}

TEST(StructureFactors, TheTestCrystalMatchesTheDirectSum) {
  const pipelines::Crystal crystal = pipelines::load_crystal(XPULSE_TEST_DATA "/2cex.pdb");
  const std::vector<std::array<int, 3>> hkl = {{1, 0, 0},   {0, 2, 0},    {3, -1, 4},  {-12, 7, 9},
                                               {25, 0, -30}, {-40, 33, 21}, {60, -20, 5}, {0, 0, 1}};
  const auto f = structure_factors(crystal.atoms, crystal.cell, hkl, 1e-6, 2);
  double scale = 0;
  for (std::size_t r = 0; r < hkl.size(); ++r) scale = std::max(scale, std::abs(direct(crystal.atoms, crystal.cell, hkl[r])));
  for (std::size_t r = 0; r < hkl.size(); ++r) {
    const std::complex<double> d = direct(crystal.atoms, crystal.cell, hkl[r]);
    // C 1 2 1's centring: h + k odd is absent.
    if ((hkl[r][0] + hkl[r][1]) % 2 != 0) EXPECT_LT(std::abs(d), 1e-6 * scale);
    EXPECT_LT(std::abs(f[r] - d), 1e-5 * scale) << hkl[r][0] << " " << hkl[r][1] << " " << hkl[r][2];
  }
}

TEST(StructureFactors, NoAtomsIsAnInputError) {
  const std::vector<std::array<int, 3>> hkl = {{1, 0, 0}};
  EXPECT_THROW(structure_factors(AtomSet{}, geometry::UnitCell{}, hkl, 1e-6, 1), InputError);
}

}  // namespace
}  // namespace xpulse::sim
