#pragma once
// Bragg peaks in a detector frame with peakfinder8's semantics (CrystFEL; REFERENCE.md section 5):
//   1. per integer radius (pixels from the beam centre), 5 rounds of mean and sigma over the unmasked pixels
//      below the previous round's mean + min_snr sigma;
//   2. a pixel is a candidate when above max(threshold, mean + min_snr sigma) of its radius;
//   3. candidates are joined with their 8 neighbours into connected regions; a region of min_pix..max_pix pixels
//      is a peak when its background-subtracted total over the local background's sigma reaches min_snr;
//   4. the local background is the mean and sigma of the non-candidate unmasked pixels within local_bg_radius
//      of the region's bounding box.
// Position: the background-subtracted centroid (pixel centres at integer coordinates). At most max_peaks per
// frame, in scan order; min_res and max_res bound the radius of a peak's centroid (pixels).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace xpulse::sfx {

struct PeakFinderOptions {
  float threshold = 800;         // ADU
  float min_snr = 5;
  int min_pixels = 2, max_pixels = 200;
  int local_bg_radius = 3;
  double min_res = 0, max_res = 1e30;  // pixels from the beam centre
  std::size_t max_peaks = 2048;
  void validate() const;         // InvalidArgument naming the option
};

struct Peak {
  float x = 0, y = 0;            // column, row
  float total_intensity = 0;     // ADU above the local background
  float snr = 0;
  float background = 0;          // ADU per pixel
  int pixels = 0;
};

class PeakFinder8 {
 public:
  // mask: [ny][nx], nonzero = bad (or empty); beam centre in pixels.
  PeakFinder8(std::size_t ny, std::size_t nx, double centre_x, double centre_y, std::vector<std::uint8_t> mask,
              const PeakFinderOptions& options);
  // A multi-panel detector (geometry/panel_pixel_map.h): each pixel's distance from the beam axis (pixels) and
  // its panel. Radii are binned to the nearest integer as above; a region grows, and its local background is
  // taken, within its own panel only (as CrystFEL's peakfinder8 works per panel); a peak's radius (min_res,
  // max_res) is that of the pixel nearest its centroid.
  PeakFinder8(std::size_t ny, std::size_t nx, std::vector<float> radius_px, std::vector<std::uint16_t> panel,
              std::vector<std::uint8_t> mask, const PeakFinderOptions& options);
  // Thread-safe: each call has its own scratch memory. The same as peaks_from_candidates(frame, candidates(frame)).
  std::vector<Peak> find(const float* frame) const;

  // Steps 1 and 2: the candidate pixels of a frame, as indices in increasing order. The CUDA twin
  // (cuda_peakfinder8.h) computes the same with the same arithmetic.
  std::vector<std::uint32_t> candidates(const float* frame) const;
  // Steps 3 and 4 from the candidate pixels (increasing indices), wherever they were found.
  std::vector<Peak> peaks_from_candidates(const float* frame, const std::vector<std::uint32_t>& candidates) const;

  std::size_t ny() const { return ny_; }
  std::size_t nx() const { return nx_; }
  const std::vector<std::uint8_t>& mask() const { return mask_; }
  const std::vector<std::uint32_t>& radius_bins() const { return radius_; }  // integer radius per pixel
  std::size_t bins() const { return bins_; }
  const PeakFinderOptions& options() const { return options_; }

 private:
  void check_sizes();
  std::size_t ny_, nx_;
  double cx_ = 0, cy_ = 0;
  std::vector<std::uint8_t> mask_;
  std::vector<std::uint32_t> radius_;  // integer radius bin per pixel
  std::vector<float> radius_px_;       // multi-panel: each pixel's radius (empty for one flat panel)
  std::vector<std::uint16_t> panel_;   // multi-panel: each pixel's panel (empty for one flat panel)
  std::size_t bins_ = 0;
  PeakFinderOptions options_;
};

}  // namespace xpulse::sfx
