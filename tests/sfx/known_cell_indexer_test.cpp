// Known-cell indexing on synthetic still peaks: lattices of several systems and centerings, shuffled peaks, two
// lattices on one frame, and bad cells.
#include "sfx/known_cell_indexer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>

#include "core/error.h"
#include "sfx/misorientation.h"
#include "still_peaks.h"

namespace xpulse::sfx {
namespace {

using geometry::UnitCell;

struct Case {
  const char* name;
  UnitCell cell;
  Centering centering;
};
// gtest prints the case by its name.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class IndexesEveryLattice : public ::testing::TestWithParam<Case> {};

TEST_P(IndexesEveryLattice, ToATenthOfADegree) {
  const Case& c = GetParam();
  const KnownCellIndexer indexer(c.cell, c.centering, {});
  const geometry::Detector d = testing::still_detector();
  std::mt19937_64 random(7);
  int indexed = 0, trials = 0;
  double worst = 0, sum = 0;
  for (int t = 0; t < 25; ++t) {
    const geometry::Mat3 u = testing::random_rotation(random);
    const testing::StillPeaks peaks = testing::still_peaks(c.cell, u, c.centering, d, 0.0005, 0.3, random);
    if (peaks.s.size() < 15) continue;  // the acceptance's frames show >= 15 spots
    ++trials;
    const auto lattices = indexer.index(peaks.s);
    if (lattices.empty()) continue;
    ++indexed;
    const double angle = misorientation_deg(lattices[0].ub, geometry::mul(u, c.cell.b_matrix()), c.cell);
    worst = std::max(worst, angle), sum += angle;
    EXPECT_GE(lattices[0].fraction, 0.9) << c.name;
  }
  EXPECT_GE(indexed, 0.95 * trials) << c.name;
  EXPECT_GE(trials, 10) << c.name;
  // Before the refinement of positions and excitation errors (sfx/lattice_refinement.h).
  EXPECT_LT(worst, 0.15) << c.name;
  EXPECT_LT(sum / indexed, 0.05) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Cells, IndexesEveryLattice,
    ::testing::Values(Case{"orthorhombic_P", {40, 52, 66, 90, 90, 90}, Centering::P},
                      Case{"monoclinic_C", {131.4, 88.7, 115.9, 90, 105.3, 90}, Centering::C},
                      Case{"tetragonal_I", {58, 58, 84, 90, 90, 90}, Centering::I},
                      Case{"cubic_F", {120, 120, 120, 90, 90, 90}, Centering::F},
                      Case{"hexagonal_P", {62, 62, 95, 90, 90, 120}, Centering::P},
                      Case{"triclinic_P", {51, 63, 72, 82, 77, 69}, Centering::P}),
    [](const auto& info) { return std::string(info.param.name); });

// Step 1 through a DirectionScorer (here the host twin of the CUDA kernel, sfx/direction_scores.h) finds the
// lattices of the indexer's own loop.
TEST(KnownCellIndexer, AScorerOfStepOneFindsTheSameLattices) {
  const UnitCell cell{131.4, 88.7, 115.9, 90, 105.3, 90};
  std::atomic<int> calls{0};
  const KnownCellIndexer own(cell, Centering::C, {});
  const KnownCellIndexer scored(cell, Centering::C, {}, [&](const ScorePeaks& p, double length, std::size_t n) {
    ++calls;
    return direction_scores(p, length, n);
  });
  const geometry::Detector d = testing::still_detector();
  std::mt19937_64 random(17);
  int compared = 0;
  for (int t = 0; t < 8; ++t) {
    const geometry::Mat3 u = testing::random_rotation(random);
    const testing::StillPeaks peaks = testing::still_peaks(cell, u, Centering::C, d, 0.0005, 0.3, random);
    const auto a = own.index(peaks.s), b = scored.index(peaks.s);
    ASSERT_EQ(a.size(), b.size()) << t;
    if (a.empty()) continue;
    ++compared;
    EXPECT_LT(misorientation_deg(a[0].ub, b[0].ub, cell), 1e-3) << t;
    EXPECT_EQ(a[0].hkl.size(), b[0].hkl.size()) << t;
  }
  EXPECT_GE(compared, 6);
  EXPECT_GE(calls.load(), compared);
}

TEST(KnownCellIndexer, IndexesNoFrameOfShuffledPeaks) {
  // The peaks of real lattices with their azimuths drawn at random: the same resolutions, no lattice.
  const UnitCell cell{40, 52, 66, 90, 90, 90};
  const KnownCellIndexer indexer(cell, Centering::P, {});
  const geometry::Detector d = testing::still_detector();
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> angle(0, 2 * M_PI);
  int indexed = 0;
  for (int t = 0; t < 30; ++t) {
    testing::StillPeaks peaks =
        testing::still_peaks(cell, testing::random_rotation(random), Centering::P, d, 0.0005, 0.3, random);
    for (auto& s : peaks.s) {
      double x = 0, y = 0;
      ASSERT_TRUE(s_to_pixel(d, s, x, y));
      const double r = std::hypot(x - d.beam_center_x_px, y - d.beam_center_y_px), a = angle(random);
      s = pixel_to_s(d, d.beam_center_x_px + r * std::cos(a), d.beam_center_y_px + r * std::sin(a));
    }
    indexed += !indexer.index(peaks.s, 2).empty();
  }
  EXPECT_EQ(indexed, 0);
}

TEST(KnownCellIndexer, FindsBothLatticesOfATwoLatticeFrame) {
  const UnitCell cell{58, 58, 84, 90, 90, 90};
  const KnownCellIndexer indexer(cell, Centering::I, {});
  const geometry::Detector d = testing::still_detector();
  std::mt19937_64 random(5);
  int both = 0;
  for (int t = 0; t < 10; ++t) {
    const geometry::Mat3 u1 = testing::random_rotation(random), u2 = testing::random_rotation(random);
    testing::StillPeaks a = testing::still_peaks(cell, u1, Centering::I, d, 0.001, 0.3, random);
    const testing::StillPeaks b = testing::still_peaks(cell, u2, Centering::I, d, 0.001, 0.3, random);
    a.s.insert(a.s.end(), b.s.begin(), b.s.end());
    const auto lattices = indexer.index(a.s, 2);
    if (lattices.size() != 2) continue;
    const geometry::Mat3 t1 = geometry::mul(u1, cell.b_matrix()), t2 = geometry::mul(u2, cell.b_matrix());
    const double first = std::min(misorientation_deg(lattices[0].ub, t1, cell), misorientation_deg(lattices[0].ub, t2, cell));
    const double second = std::min(misorientation_deg(lattices[1].ub, t1, cell), misorientation_deg(lattices[1].ub, t2, cell));
    const double cross = misorientation_deg(lattices[0].ub, lattices[1].ub, cell);
    both += first < 0.1 && second < 0.1 && cross > 1;  // the refinement takes them below 0.05
  }
  EXPECT_GE(both, 9);
}

TEST(KnownCellIndexer, RejectsImpossibleCenterings) {
  try {
    KnownCellIndexer(UnitCell{40, 40, 40, 90, 90, 90}, Centering::C, {});
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "--centering C is impossible for the cubic cell 40,40,40,90,90,90: a cubic lattice allows "
                           "P, I, F");
  }
  EXPECT_THROW(KnownCellIndexer(UnitCell{40, 50, 60, 80, 85, 95}, Centering::I, {}), InvalidArgument);
  EXPECT_NO_THROW(KnownCellIndexer(UnitCell{60, 60, 150, 90, 90, 120}, Centering::R, {}));
}

TEST(Centering, ParsesCellsAndLetters) {
  EXPECT_EQ(parse_centering("c"), Centering::C);
  EXPECT_THROW(parse_centering("Q"), InvalidArgument);
  const UnitCell c = parse_cell("79.1,79.1,38.2,90,90,90");
  EXPECT_DOUBLE_EQ(c.c, 38.2);
  try {
    parse_cell("79,79,x,90,90,90");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "--cell '79,79,x,90,90,90': 'x' is not a number (expected a,b,c,alpha,beta,gamma in "
                           "Angstrom and degrees)");
  }
  EXPECT_THROW(parse_cell("79,79,38,90,90"), InvalidArgument);
  EXPECT_THROW(parse_cell("79,79,38,90,90,190"), InvalidArgument);
  EXPECT_EQ(lattice_system(UnitCell{60, 60, 150, 90, 90, 120}), LatticeSystem::hexagonal);
  EXPECT_EQ(lattice_system(UnitCell{60, 70, 150, 90, 100, 90}), LatticeSystem::monoclinic);
}

}  // namespace
}  // namespace xpulse::sfx
