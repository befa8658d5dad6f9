#pragma once
// Summation integration of a spot with a peak disc and a background annulus (CrystFEL's --int-radius r1,r2,r3:
// the peak within r1 of the predicted centre, the background between r2 and r3):
//   the background is a plane a + b dx + c dy fitted by least squares to the annulus's unmasked pixels, refitted
//   without those beyond 5 sigma of it (up to 3 times); sigma_bg is the rms of the kept residuals;
//   I = sum over the m unmasked disc pixels of (pixel - plane) / adu_per_photon (photons);
//   sigma^2 = max(I, 0) + m sigma_bg^2 + m^2 sigma_bg^2 / n_bg (counting noise of the spot, the background's
//   scatter under the disc, and the uncertainty of the plane's level), in photons^2.
#include <cstddef>
#include <cstdint>
#include <string>

namespace xpulse::sfx {

struct RingRadii {
  double peak = 4, inner = 5, outer = 7;  // pixels
  void validate() const;                  // InvalidArgument naming --int-radius
};
RingRadii parse_ring_radii(const std::string& text);  // "r1,r2,r3"

// Bits of IntegratedSpot::flags.
inline constexpr std::uint8_t kSpotMasked = 1;      // a masked pixel lies in the peak disc (left out)
inline constexpr std::uint8_t kSpotSaturated = 2;   // a disc pixel at or above the saturation level
inline constexpr std::uint8_t kSpotEdge = 4;        // the disc or annulus runs off the detector
inline constexpr std::uint8_t kSpotNoBackground = 8;  // fewer than 6 background pixels: not integrated

struct IntegratedSpot {
  double intensity = 0, sigma = 0;  // photons
  double background = 0;            // photons per pixel under the centre
  std::size_t pixels = 0;           // in the disc
  std::uint8_t flags = 0;
};

struct IntegrationOptions {
  RingRadii radii;
  double adu_per_photon = 1;
  double saturation = 1e30;  // ADU
};

// frame and mask (nonzero = bad; may be null) are [ny][nx]; x, y the spot centre in pixels.
IntegratedSpot integrate_ring(const float* frame, const std::uint8_t* mask, std::size_t ny, std::size_t nx,
                              double x, double y, const IntegrationOptions& options);

}  // namespace xpulse::sfx
