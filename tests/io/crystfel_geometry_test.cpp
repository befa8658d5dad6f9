#include "io/crystfel_geometry.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"

namespace xpulse::io {
namespace {

// Two JUNGFRAU-like modules of 512x256 stacked along ss in the stored array; the second rotated by 90 degrees.
const char* kTwoPanels = R"(; a comment line
clen = 0.12
photon_energy = 9500 ; eV
res = 13333.3
adu_per_eV = 0.0003317
data = /data/data
dim0 = %
dim1 = ss
dim2 = fs
rigid_group_all = p0,p1

p0/min_fs = 0
p0/max_fs = 511
p0/min_ss = 0
p0/max_ss = 255
p0/fs = +1.000000x +0.000000y
p0/ss = +0.000000x +1.000000y
p0/corner_x = -520.5
p0/corner_y = 10.25
p0/coffset = 0.001

p1/min_fs = 0
p1/max_fs = 511
p1/min_ss = 256
p1/max_ss = 511
p1/fs = -y
p1/ss = +x +0.01z
p1/corner_x = 20
p1/corner_y = 530
p1/no_index = 1

bad_gap/min_x = -10
bad_gap/max_x = 10
bad_gap/min_y = -600
bad_gap/max_y = 600
)";

TEST(CrystfelGeometry, ReadWriteReadIsIdentical) {
  const CrystfelGeometry first = parse_crystfel_geometry(kTwoPanels, "two.geom");
  const std::string written = format_crystfel_geometry(first);
  const CrystfelGeometry second = parse_crystfel_geometry(written, "written.geom");
  EXPECT_EQ(first, second);
  EXPECT_EQ(format_crystfel_geometry(second), written);
  EXPECT_EQ(first.panels.size(), 2u);
  EXPECT_EQ(first.bad_regions.size(), 1u);
  EXPECT_EQ(first.groups.size(), 1u);
  EXPECT_EQ(first.value(first.panels[1], "clen"), "0.12");  // the global default
}

TEST(CrystfelGeometry, ResolvesPanelsAndPixelCentres) {
  const geometry::PanelDetector d = resolve_panels(parse_crystfel_geometry(kTwoPanels, "two.geom"));
  ASSERT_EQ(d.panels.size(), 2u);
  EXPECT_EQ(d.frame_width(), 512);
  EXPECT_EQ(d.frame_height(), 512);
  const geometry::Panel& p1 = d.panels[1];
  EXPECT_TRUE(p1.no_index);
  EXPECT_DOUBLE_EQ(p1.fs[1], -1.0);
  EXPECT_DOUBLE_EQ(p1.ss[2], 0.01);
  // Stored pixel (fs 10, ss 300) of p1: u = 10.5, v = 44.5 steps from its corner.
  const geometry::Vec3 at = geometry::pixel_centre(p1, 10, 300);
  EXPECT_NEAR(at[0], (20.0 + 44.5) / 13333.3, 1e-15);
  EXPECT_NEAR(at[1], (530.0 - 10.5) / 13333.3, 1e-15);
  EXPECT_NEAR(at[2], 0.12 + 0.01 * 44.5 / 13333.3, 1e-15);
  const geometry::Vec3 first = geometry::pixel_centre(d.panels[0], 0, 0);
  EXPECT_NEAR(first[0], -520.0 / 13333.3, 1e-15);
  EXPECT_NEAR(first[2], 0.121, 1e-15);
}

void expect_error(const std::string& text, const std::string& words) {
  try {
    resolve_panels(parse_crystfel_geometry(text, "bad.geom"));
    ADD_FAILURE() << "no error for: " << text;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(CrystfelGeometry, BadFilesAreErrorsNamingTheLine) {
  const std::string panel =
      "clen = 0.1\nres = 5000\np0/min_fs = 0\np0/max_fs = 9\np0/min_ss = 0\np0/max_ss = 9\np0/corner_x = 0\n"
      "p0/corner_y = 0\n";
  expect_error(panel + "p0/cornr_x = 3\n", "bad.geom line 9: unknown panel key 'cornr_x'");
  expect_error("photon_energy = 9000\nfoo = 1\n" + panel, "bad.geom line 2: unknown key 'foo'");
  expect_error(panel + "p0/min_fs = 1\n", "bad.geom line 9: 'min_fs' is set twice");
  expect_error(panel + "p0/fs = +1.0q\n", "panel 'p0' fs is '+1.0q'");
  expect_error(panel + "p1/min_fs = 5\np1/max_fs = 12\np1/min_ss = 5\np1/max_ss = 6\np1/corner_x = 0\np1/corner_y = 0\n",
               "panels 'p0' and 'p1' cover the same stored pixels");
  expect_error("clen = 0.1\np0/min_fs = 0\np0/max_fs = 9\np0/min_ss = 0\np0/max_ss = 9\np0/corner_x = 0\np0/corner_y = 0\n",
               "panel 'p0' has no res");
  expect_error("clen = 0.1\n", "no panels");
  expect_error(panel + "just words\n", "bad.geom line 9: expected 'key = value'");
}

}  // namespace
}  // namespace xpulse::io
