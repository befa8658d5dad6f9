#pragma once
// Assembling stored multi-panel frames into one image of the detector as it sits in the lab, for viewing, at the
// panels' own pixel size. Nearest: each stored pixel's centre (x, y across the beam) lands in the assembled pixel
// that contains it; where several land in one, the assembled value is their mean. Bilinear: each assembled
// pixel's centre is looked up on the panel that covers it and interpolated from that panel's four nearest stored
// pixels (clamped at the panel's edges; a linear field comes out exact). Assembled pixels no panel reaches (gaps)
// are NaN.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "geometry/panel_detector.h"

namespace xpulse::geometry {

struct Assembly {
  std::size_t width = 0, height = 0;   // assembled image, pixels (x along width, y along height)
  double pixel_size = 0.0;             // metres (1 / res of the first panel)
  double x0 = 0.0, y0 = 0.0;           // lab x, y (m) of the centre of assembled pixel (0, 0)
  std::size_t stored_pixels = 0;       // frame_width x frame_height
  std::vector<std::int64_t> target;    // per stored pixel: assembled index, or -1 (not on a panel)
  std::vector<std::uint32_t> hits;     // per assembled pixel: stored pixels that land in it
  bool bilinear = false;
  std::vector<std::array<std::int64_t, 4>> taps;  // bilinear, per assembled pixel: stored pixels (-1: none)
  std::vector<std::array<float, 4>> weights;
};

enum class Interpolation { nearest, bilinear };

// InputError when the panels' res differ (an assembly needs one pixel size).
Assembly plan_assembly(const PanelDetector& detector, Interpolation interpolation = Interpolation::nearest);

// One stored frame [frame_height][frame_width] into image [height][width].
void assemble(const Assembly& plan, const float* frame, float* image);

}  // namespace xpulse::geometry
