// Step 1 of the known-cell search for every direction: the host twin's best direction lies along the lattice's
// longest cell vector; the CUDA twin gives the host's scores (skipped without a device); without CUDA it says so.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>

#include "core/error.h"
#include "runtime/devices.h"
#include "sfx/direction_scores.h"
#include "sfx/known_cell_indexer.h"
#include "sfx/misorientation.h"
#include "still_peaks.h"

namespace xpulse::sfx {
namespace {

struct Search {
  ScorePeaks peaks;
  geometry::Vec3 longest{};  // the longest cell vector's direction in the lab
  double length = 0;
  std::size_t n = 0;
};

Search search() {
  const geometry::UnitCell cell{61, 74, 89, 90, 90, 90};
  std::mt19937_64 random(21);
  const geometry::Mat3 u = testing::random_rotation(random);
  const geometry::Detector d = testing::still_detector();
  testing::StillPeaks p = testing::still_peaks(cell, u, Centering::P, d, 5e-4, 0.3, random);
  // The 40 lowest-resolution peaks, as the indexer searches.
  std::vector<std::size_t> order(p.s.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return geometry::norm(p.s[a]) < geometry::norm(p.s[b]); });
  Search s;
  double s_max = 0;
  for (std::size_t k = 0; k < std::min<std::size_t>(40, order.size()); ++k) {
    const geometry::Vec3& v = p.s[order[k]];
    s.peaks.x.push_back(static_cast<float>(v[0])), s.peaks.y.push_back(static_cast<float>(v[1]));
    s.peaks.z.push_back(static_cast<float>(v[2]));
    s_max = std::max(s_max, geometry::norm(v));
  }
  const geometry::Mat3 real = geometry::inverse(geometry::mul(u, cell.b_matrix()));  // rows a, b, c in the lab
  s.longest = geometry::scale(1 / geometry::norm(real[2]), real[2]);
  s.length = 89;
  const double delta = 0.15 / (s.length * s_max);
  s.n = static_cast<std::size_t>(std::ceil(2 * M_PI / (delta * delta)));
  return s;
}

TEST(DirectionScores, BestDirectionLiesAlongTheLongestCellVector) {
  const Search s = search();
  ASSERT_GE(s.peaks.x.size(), 30u);
  const std::vector<double> scores = direction_scores(s.peaks, s.length, s.n);
  const std::size_t best = static_cast<std::size_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
  double x = 0, y = 0, z = 0;
  fibonacci_direction(best, s.n, x, y, z);
  const double cosine = std::abs(x * s.longest[0] + y * s.longest[1] + z * s.longest[2]);
  EXPECT_GT(cosine, std::cos(2 * std::sqrt(2 * M_PI / static_cast<double>(s.n))));  // within two grid spacings
  EXPECT_GT(scores[best], 0.8 * static_cast<double>(s.peaks.x.size()));
}

TEST(DirectionScores, CudaTwinGivesTheHostsScores) {
  if (runtime::cuda_device_count() == 0) GTEST_SKIP() << runtime::cuda_unavailable_reason();
  const Search s = search();
  const std::vector<double> host = direction_scores(s.peaks, s.length, s.n);
  CudaDirectionScores cuda(0);
  const std::vector<double> device = cuda.scores(s.peaks, s.length, s.n);
  ASSERT_EQ(device.size(), host.size());
  std::size_t same = 0;
  for (std::size_t d = 0; d < host.size(); ++d) {
    EXPECT_NEAR(device[d], host[d], 1e-3) << d;
    same += device[d] == host[d];
  }
  // Only the device's sine and cosine of the azimuth may differ from the host's in the last bit.
  EXPECT_GT(same, host.size() / 2);
  EXPECT_EQ(std::max_element(device.begin(), device.end()) - device.begin(),
            std::max_element(host.begin(), host.end()) - host.begin());
}

// The indexer with step 1 on the GPU finds the host's lattices.
TEST(DirectionScores, IndexingWithTheCudaTwinFindsTheHostsLattices) {
  if (runtime::cuda_device_count() == 0) GTEST_SKIP() << runtime::cuda_unavailable_reason();
  const geometry::UnitCell cell{61, 74, 89, 90, 90, 90};
  auto cuda = std::make_shared<CudaDirectionScores>(0);
  const KnownCellIndexer host(cell, Centering::P, {});
  const KnownCellIndexer device(cell, Centering::P, {}, [cuda](const ScorePeaks& p, double length, std::size_t n) {
    return cuda->scores(p, length, n);
  });
  const geometry::Detector d = testing::still_detector();
  std::mt19937_64 random(23);
  int compared = 0;
  for (int t = 0; t < 8; ++t) {
    const testing::StillPeaks p =
        testing::still_peaks(cell, testing::random_rotation(random), Centering::P, d, 5e-4, 0.3, random);
    const auto a = host.index(p.s), b = device.index(p.s);
    ASSERT_EQ(a.size(), b.size()) << t;
    if (a.empty()) continue;
    ++compared;
    EXPECT_LT(misorientation_deg(a[0].ub, b[0].ub, cell), 1e-3) << t;
  }
  EXPECT_GE(compared, 6);
}

TEST(DirectionScores, WithoutADeviceTheCudaTwinSaysWhy) {
  if (runtime::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  try {
    CudaDirectionScores scores(0);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.what(), runtime::cuda_unavailable_reason());
  }
}

}  // namespace
}  // namespace xpulse::sfx
