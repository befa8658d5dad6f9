#pragma once
// Where each stored pixel of a multi-panel detector lies, as the per-pixel passes of the pipelines need it: its
// panel, its distance from the beam axis in that panel's pixels (what peakfinder8 bins by and bounds with
// min_res and max_res, as CrystFEL's radius map), and whether it is to be ignored (no panel covers it, it lies in
// a bad region, or its panel has no_index set).
#include <cstdint>
#include <vector>

#include "geometry/panel_detector.h"

namespace xpulse::geometry {

inline constexpr std::uint16_t kNoPanel = 65535;

struct PanelPixelMap {
  int width = 0, height = 0;           // the stored frame, fs by ss
  std::vector<std::uint16_t> panel;    // [height * width], kNoPanel where none
  std::vector<float> radius_px;        // distance from the beam axis, pixels; 0 where no panel is
  std::vector<std::uint8_t> ignored;   // 1: no panel, a bad region or a no_index panel
};

// InputError when the detector has more panels than a uint16 numbers.
PanelPixelMap panel_pixel_map(const PanelDetector& detector);

}  // namespace xpulse::geometry
