#include "sfx/still_processor.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "sfx/still_geometry.h"

namespace xpulse::sfx {

void StillProcessorOptions::validate() const {
  peaks.validate();
  indexer.validate();
  prediction.validate();
  integration.radii.validate();
  if (max_lattices < 1 || max_lattices > 8) {
    throw InvalidArgument(fmt::format("--multi must lie in 1..8, got {}", max_lattices));
  }
  if (!(integration.adu_per_photon > 0)) {
    throw InvalidArgument(fmt::format("adu_per_photon must be > 0, got {}", integration.adu_per_photon));
  }
}

StillProcessor::StillProcessor(const geometry::Detector& detector, std::vector<std::uint8_t> mask,
                               const geometry::UnitCell& cell, Centering centering,
                               const StillProcessorOptions& options, DirectionScorer scorer)
    : detector_(detector),
      mask_(std::move(mask)),
      cell_(cell),
      centering_(centering),
      options_(options),
      finder_(detector.ny, detector.nx, detector.beam_center_x_px, detector.beam_center_y_px, mask_, options.peaks),
      indexer_(cell, centering, options.indexer, std::move(scorer)) {
  options.validate();
  detector.validate();
}

std::vector<LatticeSolution> index_and_refine(const geometry::Detector& detector, const KnownCellIndexer& indexer,
                                              const std::vector<Peak>& peaks, std::size_t max_lattices) {
  std::vector<geometry::Vec3> s(peaks.size());
  std::vector<std::uint32_t> active(peaks.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    s[i] = pixel_to_s(detector, peaks[i].x, peaks[i].y), active[i] = static_cast<std::uint32_t>(i);
  }
  std::vector<LatticeSolution> out;
  for (std::size_t l = 0; l < max_lattices; ++l) {
    IndexedLattice f;
    if (!indexer.index_among(s, active, max_lattices - l, f)) break;
    std::vector<PeakObservation> observed(f.peaks.size());
    for (std::size_t i = 0; i < f.peaks.size(); ++i) observed[i] = {peaks[f.peaks[i]].x, peaks[f.peaks[i]].y, f.hkl[i]};
    const geometry::Mat3 u = geometry::nearest_rotation(geometry::mul(f.ub, geometry::inverse(f.cell.b_matrix())));
    RefinedLattice r = refine_lattice(detector, u, f.cell, observed);
    // Only the peaks the refinement kept are this lattice's: those it set aside (often another lattice's, within
    // the indexing tolerance by chance) stay for the next.
    std::vector<std::uint32_t> mine;
    std::vector<std::array<int, 3>> hkl;
    for (std::size_t i = 0; i < f.peaks.size(); ++i) {
      if (r.kept[i]) mine.push_back(f.peaks[i]), hkl.push_back(f.hkl[i]);
    }
    f.peaks = mine, f.hkl = hkl;
    active = without(active, f.peaks, peaks.size());
    out.push_back({std::move(f), r});
  }
  return out;
}

StillResult StillProcessor::process(const float* frame) const { return process_peaks(frame, finder_.find(frame)); }

StillResult StillProcessor::process_peaks(const float* frame, std::vector<Peak> peaks) const {
  StillResult result;
  result.peaks = std::move(peaks);
  result.hit = result.peaks.size() >= options_.min_peaks;
  if (!result.hit) return result;
  const std::vector<LatticeSolution> found = index_and_refine(detector_, indexer_, result.peaks, options_.max_lattices);
  for (std::size_t l = 0; l < found.size(); ++l) {
    const RefinedLattice& r = found[l].refined;
    StillLattice lattice{r.ub, r.cell, r.used, r.rms_px, std::max(r.profile_radius, options_.min_profile_radius),
                         found[l].indexed.peaks};
    result.lattices.push_back(lattice);
    const auto predicted = predict_reflections(detector_, lattice.ub, centering_, lattice.profile_radius,
                                               options_.prediction);
    for (const PredictedReflection& p : predicted) {
      StillReflection reflection{static_cast<std::uint32_t>(l), p, {}};
      if (frame) {
        reflection.spot = integrate_ring(frame, mask_.empty() ? nullptr : mask_.data(), detector_.ny, detector_.nx,
                                         p.x, p.y, options_.integration);
      }
      result.reflections.push_back(reflection);
    }
  }
  return result;
}

}  // namespace xpulse::sfx
