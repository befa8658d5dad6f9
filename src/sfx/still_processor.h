#pragma once
// One still from pixels to integrated reflections, the per-frame work of `xpulse sfx process`: peakfinder8, then
// known-cell indexing (up to max_lattices lattices), refinement of each lattice against its peaks, prediction
// with a partiality model and ring integration of every predicted reflection. No I/O; thread-safe.
#include <cstdint>
#include <memory>
#include <vector>

#include "geometry/detector.h"
#include "sfx/known_cell_indexer.h"
#include "sfx/lattice_refinement.h"
#include "sfx/peakfinder8.h"
#include "sfx/reflection_prediction.h"
#include "sfx/ring_integration.h"

namespace xpulse::sfx {

struct StillProcessorOptions {
  PeakFinderOptions peaks;
  std::size_t min_peaks = 10;        // a hit has at least this many peaks
  IndexerOptions indexer;
  std::size_t max_lattices = 1;      // --multi
  PredictionOptions prediction;
  IntegrationOptions integration;
  double min_profile_radius = 1e-4;  // 1/Angstrom: the floor of a refined radius for prediction
  void validate() const;
};

struct StillLattice {
  geometry::Mat3 ub{};               // refined: columns a*, b*, c* (lab, 1/Angstrom)
  geometry::UnitCell cell;           // refined
  std::size_t n_indexed = 0;         // peaks indexed
  double rms_px = 0;                 // position residual of the refined lattice's peaks
  double profile_radius = 0;         // 1/Angstrom
  std::vector<std::uint32_t> peaks;  // the peaks it indexed (into StillResult::peaks)
};

struct StillReflection {
  std::uint32_t lattice = 0;
  PredictedReflection predicted;
  IntegratedSpot spot;
};

struct StillResult {
  std::vector<Peak> peaks;
  bool hit = false;
  std::vector<StillLattice> lattices;
  std::vector<StillReflection> reflections;
};

// Indexing and refinement alone, from peak positions: each lattice as indexed and as refined.
struct LatticeSolution {
  IndexedLattice indexed;
  RefinedLattice refined;
};
std::vector<LatticeSolution> index_and_refine(const geometry::Detector& detector, const KnownCellIndexer& indexer,
                                              const std::vector<Peak>& peaks, std::size_t max_lattices);

class StillProcessor {
 public:
  // mask: [ny][nx] nonzero = bad (may be empty). InvalidArgument for bad options or a centering the cell cannot
  // have. scorer: where step 1 of the indexing runs (empty: on the calling thread).
  StillProcessor(const geometry::Detector& detector, std::vector<std::uint8_t> mask, const geometry::UnitCell& cell,
                 Centering centering, const StillProcessorOptions& options, DirectionScorer scorer = {});
  StillResult process(const float* frame) const;
  // The same from peaks already found (e.g. on a GPU, or by another program); frame may be null to skip integration.
  StillResult process_peaks(const float* frame, std::vector<Peak> peaks) const;

  const geometry::Detector& detector() const { return detector_; }
  const StillProcessorOptions& options() const { return options_; }
  const PeakFinder8& finder() const { return finder_; }

 private:
  geometry::Detector detector_;
  std::vector<std::uint8_t> mask_;
  geometry::UnitCell cell_;
  Centering centering_;
  StillProcessorOptions options_;
  PeakFinder8 finder_;
  KnownCellIndexer indexer_;
};

}  // namespace xpulse::sfx
