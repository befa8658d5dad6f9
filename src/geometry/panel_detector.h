#pragma once
// A detector of flat rectangular panels, as a CrystFEL geometry file describes it (io/crystfel_geometry.h).
//
// A panel covers the inclusive block [min_fs, max_fs] x [min_ss, max_ss] of the stored frame (fs: the fast,
// last axis; ss: the slow one). One step along fs (ss) moves the pixel by the vector fs (ss), in pixels, in the lab
// frame (x, y across the beam, z along it). corner_x, corner_y (pixels) place the outer corner of the block's
// first pixel; res is pixels per metre; the panel's plane lies at z = clen + coffset (metres). The centre of
// stored pixel (fs, ss) is therefore, in metres,
//   x = (corner_x + (fs - min_fs + 0.5) fs_x + (ss - min_ss + 0.5) ss_x) / res, y likewise,
//   z = clen + coffset + ((fs - min_fs + 0.5) fs_z + (ss - min_ss + 0.5) ss_z) / res.
#include <optional>
#include <string>
#include <vector>

#include "geometry/mat3.h"

namespace xpulse::geometry {

struct Panel {
  std::string name;
  int min_fs = 0, max_fs = -1, min_ss = 0, max_ss = -1;  // inclusive
  Vec3 fs{1.0, 0.0, 0.0}, ss{0.0, 1.0, 0.0};           // lab steps per pixel, in pixels
  double corner_x = 0.0, corner_y = 0.0;                // pixels
  double res = 0.0;                                     // pixels per metre
  std::optional<double> clen;                           // metres; empty when the file names a dataset for it
  std::string clen_path;                                // that dataset
  double coffset = 0.0;                                 // metres
  bool no_index = false;

  int width() const { return max_fs - min_fs + 1; }
  int height() const { return max_ss - min_ss + 1; }
  bool contains(int fs_index, int ss_index) const {
    return fs_index >= min_fs && fs_index <= max_fs && ss_index >= min_ss && ss_index <= max_ss;
  }
};

// A region whose pixels are not to be used (CrystFEL's bad_NAME sections): either a box in the lab plane, in
// pixels as corner_x and corner_y are (a pixel is bad when its centre's x res, y res lies inside), or a block of
// stored pixels [min_fs, max_fs] x [min_ss, max_ss] (inclusive, the stored frame's coordinates as the panels'
// min_fs... are) within the named panel.
struct BadRegion {
  std::string name;
  bool in_lab = true;
  double min_x = 0, max_x = 0, min_y = 0, max_y = 0;  // in_lab
  int min_fs = 0, max_fs = -1, min_ss = 0, max_ss = -1;  // !in_lab
  std::string panel;                                    // restricts either kind to one panel; "" for all
};

struct PanelDetector {
  std::vector<Panel> panels;
  std::vector<BadRegion> bad_regions;
  // Stored frame size: one past the largest max_fs and max_ss over the panels.
  int frame_width() const;
  int frame_height() const;
};

// Lab position (metres) of the centre of stored pixel (fs, ss) of `panel`; clen must be a number (or given).
Vec3 pixel_centre(const Panel& panel, double fs, double ss, std::optional<double> clen = std::nullopt);

}  // namespace xpulse::geometry
