// Every one of the 32 point groups maps each hkl to one asymmetric-unit representative. Checked against what
// does not come from the symmetry tables: reflections grouped together have the same d in a cell of the group's
// system (they are related by the metric), general reflections fall into orbits of exactly the Laue (or, with
// anomalous data, the point) group's order, and a representative is its own representative.
#include "sfx/merge_symmetry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "core/error.h"
#include "geometry/lattice.h"

namespace xpulse::sfx {
namespace {

struct Group {
  const char* symbol;
  int order;       // rotations and roto-inversions of the point group
  bool centro;     // contains the inversion
  geometry::UnitCell cell;
};

const geometry::UnitCell kTriclinic{51, 63, 72, 82, 77, 69}, kMonoclinic{50, 60, 70, 90, 105, 90},
    kOrthorhombic{40, 52, 66, 90, 90, 90}, kTetragonal{58, 58, 84, 90, 90, 90}, kHexagonal{62, 62, 95, 90, 90, 120},
    kCubic{120, 120, 120, 90, 90, 90};

const Group kGroups[] = {
    {"1", 1, false, kTriclinic},      {"-1", 2, true, kTriclinic},       {"2", 2, false, kMonoclinic},
    {"m", 2, false, kMonoclinic},     {"2/m", 4, true, kMonoclinic},     {"222", 4, false, kOrthorhombic},
    {"mm2", 4, false, kOrthorhombic}, {"mmm", 8, true, kOrthorhombic},   {"4", 4, false, kTetragonal},
    {"-4", 4, false, kTetragonal},    {"4/m", 8, true, kTetragonal},     {"422", 8, false, kTetragonal},
    {"4mm", 8, false, kTetragonal},   {"-42m", 8, false, kTetragonal},   {"4/mmm", 16, true, kTetragonal},
    {"3", 3, false, kHexagonal},      {"-3", 6, true, kHexagonal},       {"32", 6, false, kHexagonal},
    {"3m", 6, false, kHexagonal},     {"-3m", 12, true, kHexagonal},     {"6", 6, false, kHexagonal},
    {"-6", 6, false, kHexagonal},     {"6/m", 12, true, kHexagonal},     {"622", 12, false, kHexagonal},
    {"6mm", 12, false, kHexagonal},   {"-6m2", 12, false, kHexagonal},   {"6/mmm", 24, true, kHexagonal},
    {"23", 12, false, kCubic},        {"m-3", 24, true, kCubic},         {"432", 24, false, kCubic},
    {"-43m", 24, false, kCubic},      {"m-3m", 48, true, kCubic}};

double d_of(const geometry::UnitCell& cell, const Miller& h) {
  const geometry::Mat3 b = cell.b_matrix();
  double s2 = 0;
  for (int r = 0; r < 3; ++r) {
    const double s = b[r][0] * h[0] + b[r][1] * h[1] + b[r][2] * h[2];
    s2 += s * s;
  }
  return 1 / std::sqrt(s2);
}

void check(const Group& g, bool anomalous) {
  const MergeSymmetry sym(g.symbol, 'P', anomalous);
  EXPECT_EQ(sym.operations(), g.order) << g.symbol;
  std::map<std::pair<Miller, bool>, std::vector<Miller>> orbits;
  const int n = 5;
  for (int h = -n; h <= n; ++h) {
    for (int k = -n; k <= n; ++k) {
      for (int l = -n; l <= n; ++l) {
        const Miller hkl{h, k, l};
        if (h == 0 && k == 0 && l == 0) continue;
        const AsuIndex a = sym.asu(hkl);
        orbits[{a.hkl, a.minus}].push_back(hkl);
        const AsuIndex again = sym.asu(a.hkl);
        EXPECT_EQ(again.hkl, a.hkl) << g.symbol;
        EXPECT_FALSE(again.minus) << g.symbol;
      }
    }
  }
  // Friedel's law doubles the orbits of a group without the inversion, unless the data are anomalous.
  const int full = anomalous || g.centro ? g.order : 2 * g.order;
  std::size_t largest = 0;
  for (const auto& [key, members] : orbits) {
    const double d = d_of(g.cell, key.first);
    for (const Miller& m : members) EXPECT_NEAR(d_of(g.cell, m), d, 1e-9 * d) << g.symbol;
    // Reflections of the box at its faces may lack orbit members outside it; full orbits are never larger.
    EXPECT_LE(static_cast<int>(members.size()), full) << g.symbol;
    largest = std::max(largest, members.size());
  }
  EXPECT_EQ(static_cast<int>(largest), full) << g.symbol << (anomalous ? " anomalous" : "");
  // The representative lies in its own orbit (checked on orbits wholly within the box).
  for (const auto& [key, members] : orbits) {
    if (key.second || static_cast<int>(members.size()) != full) continue;
    EXPECT_NE(std::find(members.begin(), members.end(), key.first), members.end()) << g.symbol;
  }
}

TEST(MergeSymmetry, EveryPointGroupMapsEachReflectionToOneRepresentative) {
  ASSERT_EQ(std::size(kGroups), MergeSymmetry::point_groups().size());
  for (const Group& g : kGroups) check(g, false);
}

TEST(MergeSymmetry, AnomalousDataKeepFriedelMatesApart) {
  for (const Group& g : kGroups) check(g, true);
  const MergeSymmetry sym("222", 'P', true);
  const AsuIndex plus = sym.asu({1, 2, 3}), minus = sym.asu({-1, -2, -3});
  EXPECT_EQ(plus.hkl, minus.hkl);
  EXPECT_NE(plus.minus, minus.minus);
}

TEST(MergeSymmetry, CenteringAndSpaceGroupAbsences) {
  const MergeSymmetry c2("2", 'C', false);
  EXPECT_EQ(c2.space_group(), "C 1 2 1");
  EXPECT_TRUE(c2.absent({1, 0, 0}));   // C: h + k odd
  EXPECT_FALSE(c2.absent({1, 1, 0}));
  const MergeSymmetry p212121("P212121", 'P', false);
  EXPECT_TRUE(p212121.space_group_given());
  EXPECT_EQ(p212121.point_group(), "222");
  EXPECT_TRUE(p212121.absent({3, 0, 0}));  // 2_1 screw along a: h00 with h odd
  EXPECT_FALSE(p212121.absent({4, 0, 0}));
  EXPECT_FALSE(p212121.absent({3, 1, 0}));
  const MergeSymmetry r32("32", 'R', false);
  EXPECT_EQ(r32.space_group(), "R 3 2");
}

TEST(MergeSymmetry, UnknownSymbolsAndImpossibleCenteringsAreRefused) {
  EXPECT_THROW(MergeSymmetry("7/m", 'P', false), InvalidArgument);
  EXPECT_THROW(MergeSymmetry("4", 'C', false), InvalidArgument);
  EXPECT_THROW(MergeSymmetry("P212121", 'C', false), InvalidArgument);
  try {
    MergeSymmetry("xyz", 'P', false);
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("'xyz' is neither a point group", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace xpulse::sfx
