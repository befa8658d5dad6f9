// The SPI simulator against a direct sum over atoms with xraylib form factors, its photon statistics, and its
// orientations.
#include "sim/spi_simulation.h"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "core/error.h"
#include "geometry/quaternion.h"
#include "pipelines/spi_simulate.h"
#include "sim/form_factors.h"

namespace xpulse::sim {
namespace {

const AtomSet& molecule() {
  static const AtomSet atoms = pipelines::load_molecule(XPULSE_TEST_DATA "/2cex.pdb", false);
  return atoms;
}

SpiOptions small_options() {
  SpiOptions o;
  o.images = 6;
  o.pixels = 32;
  o.photons = 1e15;
  o.grid = 21;
  o.noise = false;
  o.seed = 3;
  return o;
}

TEST(FormFactors, XraylibValues) {
  EXPECT_EQ(atomic_number("ZN"), 30);
  EXPECT_EQ(atomic_number("c"), 6);
  EXPECT_NEAR(atomic_form_factor(6, 0.0), 6.0, 1e-3);  // f(0) = Z
  // International Tables: carbon at sin(theta) / lambda = 0.5 / angstrom (q = 2 pi) scatters 1.69 electrons.
  EXPECT_NEAR(atomic_form_factor(6, 2 * std::numbers::pi), 1.69, 0.05);
  EXPECT_THROW(atomic_number("Xx"), InputError);
}

TEST(SpiSimulation, ExpectedPhotonsMatchTheDirectSumOverAtoms) {
  runtime::ThreadPool pool(2);
  const SpiOptions o = small_options();
  const SpiSimulation s = simulate_spi(molecule(), o, pool);
  const double scale = o.photons / (std::numbers::pi * o.beam_radius_m * o.beam_radius_m) * kElectronRadiusM *
                       kElectronRadiusM;
  const std::size_t pixels = o.pixels * o.pixels;
  int checked = 0;
  for (std::size_t i : {0u, 5u}) {
    const geometry::Mat3 rt = geometry::transpose(geometry::rotation_matrix(s.orientations[i]));
    for (std::size_t p : {0u, 37u, 528u, 1023u, 700u}) {  // corner, near corner, centre, corner, middle
      const geometry::Vec3 q = geometry::mul(rt, geometry::Vec3{s.q[3 * p], s.q[3 * p + 1], s.q[3 * p + 2]});
      const double want = scale * s.polarization[p] * s.solid_angle[p] * std::norm(MolecularTransform::direct(molecule(), q));
      const double got = s.images[i * pixels + p];
      EXPECT_NEAR(got, want, 1e-3 * want) << "image " << i << " pixel " << p;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 10);
}

TEST(SpiSimulation, TruthIntensityIsTheMolecularTransformOnTheGrid) {
  runtime::ThreadPool pool(2);
  const SpiOptions o = small_options();
  const SpiSimulation s = simulate_spi(molecule(), o, pool);
  const std::size_t m = o.grid;
  const double dq = s.q_max / static_cast<double>(m / 2);
  for (std::size_t k : {0ul, 4630ul, 9260ul / 2 + 10}) {
    const geometry::Vec3 q = {(static_cast<double>(k % m) - 10) * dq, (static_cast<double>((k / m) % m) - 10) * dq,
                              (static_cast<double>(k / (m * m)) - 10) * dq};
    const double want = std::norm(MolecularTransform::direct(molecule(), q));
    EXPECT_NEAR(s.intensity[k], want, 1e-3 * want) << k;
  }
  // The density integrates to the molecule's electrons (F(0) = sum of f(0) = sum of Z).
  double total = 0;
  for (float v : s.density) total += v;
  EXPECT_NEAR(total, s.electrons, 1e-3 * s.electrons);
}

TEST(SpiSimulation, PhotonCountsArePoisson) {
  runtime::ThreadPool pool(2);
  SpiOptions o = small_options();
  o.images = 40;
  o.photons = 3e14;
  o.background = 0.5;
  const SpiSimulation expected = simulate_spi(molecule(), o, pool);
  o.noise = true;
  const SpiSimulation counts = simulate_spi(molecule(), o, pool);
  // Standardised residuals (n - mu) / sqrt(mu): mean 0 and variance 1 for Poisson counts.
  double sum = 0, sum2 = 0, n = 0;
  for (std::size_t k = 0; k < counts.images.size(); ++k) {
    const double mu = expected.images[k];
    ASSERT_EQ(counts.images[k], std::round(counts.images[k]));
    const double z = (counts.images[k] - mu) / std::sqrt(mu);
    sum += z, sum2 += z * z, n += 1;
  }
  const double mean = sum / n, variance = sum2 / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.03);
  EXPECT_NEAR(variance, 1.0, 0.05);
}

TEST(SpiSimulation, ImagesDoNotDependOnTheThreadCount) {
  SpiOptions o = small_options();
  o.noise = true;
  runtime::ThreadPool one(1), two(2);
  EXPECT_EQ(simulate_spi(molecule(), o, one).images, simulate_spi(molecule(), o, two).images);
}

TEST(Orientations, AreUniformOnSo3) {
  // The mean rotation matrix of uniform rotations is zero; each entry has variance 1/3.
  const auto qs = geometry::random_orientations(20000, 9);
  geometry::Mat3 mean{};
  for (const auto& q : qs) {
    EXPECT_NEAR(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3], 1.0, 1e-12);
    const geometry::Mat3 r = geometry::rotation_matrix(q);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) mean[i][j] += r[i][j] / static_cast<double>(qs.size());
  }
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(mean[i][j], 0.0, 0.02);
  EXPECT_NEAR(geometry::rotation_distance(qs[0], qs[0]), 0.0, 1e-6);
}

TEST(SpiSimulation, BadOptionsAreClearErrors) {
  runtime::ThreadPool pool(1);
  SpiOptions o = small_options();
  o.grid = 20;
  EXPECT_THROW(simulate_spi(molecule(), o, pool), InvalidArgument);
  o = small_options();
  o.photons = -1;
  try {
    simulate_spi(molecule(), o, pool);
    ADD_FAILURE();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "--photons must be > 0, got -1");
  }
}

}  // namespace
}  // namespace xpulse::sim
