// Slicing (against the simulated truth grid) and orientation matching (against hand-computed distances).
#include "spi/orientation_matching.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include <gtest/gtest.h>

#include "pipelines/spi_simulate.h"
#include "sim/spi_simulation.h"
#include "spi/grid_transform.h"
#include "spi/slicer.h"

namespace xpulse::spi {
namespace {

const sim::AtomSet& molecule() {
  static const sim::AtomSet atoms = pipelines::load_molecule(XPULSE_TEST_DATA "/2cex.pdb", false);
  return atoms;
}

std::vector<std::complex<double>> autocorrelation_of(const std::vector<float>& intensity, std::size_t m) {
  return real_space_from_reciprocal(std::vector<std::complex<double>>(intensity.begin(), intensity.end()), m, 2);
}

TEST(Slicer, ReproducesTheGridAtGridPoints) {
  runtime::ThreadPool pool(2);
  sim::SpiOptions o;
  o.images = 1, o.pixels = 16, o.grid = 15, o.noise = false;
  const sim::SpiSimulation s = sim::simulate_spi(molecule(), o, pool);
  const std::size_t m = o.grid;
  const double dq = s.q_max / static_cast<double>(m / 2);
  std::vector<double> q;
  // Grid points within |q| <= q_max (any orientation keeps them inside the grid).
  std::vector<std::size_t> index = {7 + 15 * (7 + 15 * 7), 3 + 15 * (9 + 15 * 12), 10 + 15 * (5 + 15 * 7), 7 + 15 * 7};
  for (std::size_t k : index) {
    q.push_back((static_cast<double>(k % m) - 7) * dq);
    q.push_back((static_cast<double>((k / m) % m) - 7) * dq);
    q.push_back((static_cast<double>(k / (m * m)) - 7) * dq);
  }
  Slicer slicer(m, s.voxel_angstrom, q, 1e-9, 2);
  std::vector<float> out(index.size());
  slicer.slice(autocorrelation_of(s.intensity, m), {{1, 0, 0, 0}}, out.data());
  for (std::size_t i = 0; i < index.size(); ++i) {
    EXPECT_NEAR(out[i], s.intensity[index[i]], 1e-5 * s.intensity[index[i]] + 1e-3) << index[i];
  }
}

TEST(OrientationMatching, PlainDistanceIsTheArgminOfTheSquaredDistance) {
  runtime::ThreadPool pool(1);
  const std::vector<float> images = {1, 2, 3, 0, 0, 1};
  const std::vector<float> slices = {0, 0, 1, 1, 2, 3.5f, 2, 4, 6};
  const MatchResult plain = match_orientations(images.data(), 2, slices.data(), 3, 3, {false, 1}, pool);
  EXPECT_EQ(plain.best, (std::vector<std::uint32_t>{1, 0}));
  EXPECT_NEAR(plain.distance[0], 0.25f, 1e-6);
  // Scaled: slice 2 is twice image 0, so it fits exactly once scaled.
  const MatchResult scaled = match_orientations(images.data(), 2, slices.data(), 3, 3, {true, 1}, pool);
  EXPECT_EQ(scaled.best[0], 2u);
  EXPECT_NEAR(scaled.distance[0], 0.0f, 1e-5);
}


// Acceptance: given the true intensity, noise-free images find a reference within one sampling step of their
// true orientation (or of its Friedel twin Rz(pi) R, whose pattern differs only through the Ewald sphere's
// curvature). Distances are Poisson-whitened (each pixel divided by the square root of its mean), as M-TIP does.
TEST(OrientationMatching, RecoversTrueOrientationsGivenTheTrueIntensity) {
  runtime::ThreadPool pool(2);
  sim::SpiOptions o;
  o.images = 100, o.pixels = 32, o.grid = 31, o.noise = false, o.seed = 11;
  const sim::SpiSimulation s = sim::simulate_spi(molecule(), o, pool);
  const std::size_t p = o.pixels * o.pixels, n_refs = 10000;
  Slicer slicer(o.grid, s.voxel_angstrom, s.q, 1e-6, 2);
  const auto references = geometry::random_orientations(n_refs, 99);
  std::vector<float> slices(n_refs * p);
  slicer.slice(autocorrelation_of(s.intensity, o.grid), references, slices.data());
  std::vector<double> mean(p, 0.0);
  for (std::size_t i = 0; i < o.images; ++i)
    for (std::size_t k = 0; k < p; ++k) mean[k] += s.images[i * p + k] / static_cast<double>(o.images);
  std::vector<float> images = s.images;
  for (std::size_t k = 0; k < p; ++k) {
    const float w = static_cast<float>(1 / std::sqrt(mean[k]));
    for (std::size_t i = 0; i < o.images; ++i) images[i * p + k] *= w;
    for (std::size_t r = 0; r < n_refs; ++r) slices[r * p + k] *= w * static_cast<float>(s.polarization[k] * s.solid_angle[k]);
  }
  const MatchResult m = match_orientations(images.data(), o.images, slices.data(), n_refs, p, {true, 64}, pool);
  const double step = std::cbrt(6 * std::numbers::pi / static_cast<double>(n_refs));  // mean spacing, radians
  const geometry::Quaternion rz_pi = {0, 0, 0, 1};
  int recovered = 0, exact = 0;
  for (std::size_t i = 0; i < o.images; ++i) {
    double nearest = INFINITY;
    for (const auto& q : references) nearest = std::min(nearest, geometry::rotation_distance(q, s.orientations[i]));
    const auto& found = references[m.best[i]];
    const double d = geometry::rotation_distance(found, s.orientations[i]);
    const double twin = geometry::rotation_distance(found, geometry::multiply(rz_pi, s.orientations[i]));
    if (d <= nearest + step) ++exact;
    if (std::min(d, twin) <= nearest + step) ++recovered;
  }
  std::printf("within one step (%.3f rad): %d of 100, or of the Friedel twin: %d\n", step, exact, recovered);
  EXPECT_GE(recovered, 95);
}

}  // namespace
}  // namespace xpulse::spi
