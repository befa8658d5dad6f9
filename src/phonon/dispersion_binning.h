#pragma once
// Binning of per-pixel phonon frequencies by momentum-transfer coordinate into a dispersion curve.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace xpulse::phonon {

// `count` equal bins over [lo, hi); a value exactly at hi goes into the last bin.
struct BinEdges {
  double lo = 0.0;
  double hi = 1.0;
  std::size_t count = 40;
  void validate() const;                 // throws InvalidArgument
  double width() const { return (hi - lo) / static_cast<double>(count); }
  double center(std::size_t bin) const { return lo + (static_cast<double>(bin) + 0.5) * width(); }
  // Bin of x, or -1 when x is outside [lo, hi] or not finite.
  std::ptrdiff_t index(double x) const;
  std::vector<double> edges() const;    // count + 1 values from lo to hi
  std::vector<double> centers() const;  // count values
};

struct BinnedDispersion {
  std::vector<double> q_center;       // bin centres
  std::vector<double> q_mean;         // coordinate of the pixels in each bin, weighted like the frequency
  std::vector<double> frequency;      // inverse-variance weighted mean; NaN in empty bins
  std::vector<double> frequency_err;  // its standard error, inflated by the Birge ratio when the spread exceeds
                                      // what the per-pixel errors explain
  std::vector<double> frequency_std;  // unweighted spread of the pixels' values
  std::vector<std::uint64_t> count;   // pixels in each bin
};

// Bins the entries with finite coordinate, value and positive finite sigma.
BinnedDispersion bin_dispersion(const BinEdges& edges, std::span<const double> coordinate,
                                std::span<const double> value, std::span<const double> sigma);

// Plain mean of `value` per bin over the entries with finite coordinate and value (e.g. a truth curve); NaN in
// empty bins.
std::vector<double> bin_mean(const BinEdges& edges, std::span<const double> coordinate,
                             std::span<const double> value);

}  // namespace xpulse::phonon
