#pragma once
// Indexing of a still's Bragg peaks with a known unit cell, in the spirit of TORO and the fast-feedback indexer
// (Gasparotto et al. 2022; Gevorkov et al. 2020):
//   1. the longest cell vector v: directions t on a Fibonacci half-sphere, scored by how close the projections
//      |v| t . s of the lowest-resolution peaks' scattering vectors lie to integers (sum of cos 2 pi h); the best
//      few directions, apart from each other, are kept;
//   2. for each, the rotation about t (both senses of t) that makes all three indices of those peaks closest to
//      integers;
//   3. the orientation refined by least squares on fixed Miller indices (Kabsch's closed form, U = the rotation
//      nearest to sum s (B h)^T), the peaks admitted shell by shell outwards and then with a shrinking threshold.
//      (A still measures only the direction of k_in + s; taking s on the Ewald sphere is the refinement's start,
//      sfx/lattice_refinement.h fits positions and excitation errors.)
// A lattice is accepted as CrystFEL accepts one: enough peaks within `tolerance` of integer h, k and l (allowed by
// the centering), their indices near integers (rms misfit below 0.4 tolerances), and the fitted cell within
// tolerance of the given one. Deterministic: the same
// peaks give the same lattices on every machine and thread count.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "geometry/lattice.h"
#include "sfx/centering.h"
#include "sfx/direction_scores.h"

namespace xpulse::sfx {

struct IndexerOptions {
  double tolerance = 0.25;          // |h - round(h)| of each index for a peak to count as indexed
  double min_fraction = 0.5;        // of the peaks (shared among --multi lattices), for a lattice to be accepted
  std::size_t min_indexed = 10;     // fewest indexed peaks of a lattice
  double length_tolerance = 0.05;   // freely refined cell lengths against the given, relative
  double angle_tolerance_deg = 1.5; // and angles, degrees
  std::size_t search_peaks = 60;    // lowest-resolution peaks used in steps 1 and 2
  std::size_t directions = 16;      // directions kept from step 1
  void validate() const;            // InvalidArgument naming the option
};

struct IndexedLattice {
  geometry::Mat3 ub{};                   // U B(cell): columns a*, b*, c* (lab, 1/Angstrom); s = UB h
  geometry::UnitCell cell;               // fitted to the indexed peaks within the lattice system
  std::vector<std::uint32_t> peaks;      // the peaks it indexes (into the caller's list)
  std::vector<std::array<int, 3>> hkl;   // and their Miller indices
  double fraction = 0;                   // indexed / peaks it was searched on
};

// The cell of a UB matrix (columns a*, b*, c*).
geometry::UnitCell cell_of_ub(const geometry::Mat3& ub);

// `active` less the peaks in `used` (indices below `peaks`), in order.
std::vector<std::uint32_t> without(const std::vector<std::uint32_t>& active, const std::vector<std::uint32_t>& used,
                                   std::size_t peaks);

// Step 1's score of every direction of a Fibonacci half-sphere (sfx/direction_scores.h), e.g. on a GPU; must be
// thread-safe. Empty: the indexer's own loop on the calling thread.
using DirectionScorer = std::function<std::vector<double>(const ScorePeaks& peaks, double length, std::size_t n)>;

class KnownCellIndexer {
 public:
  // InvalidArgument when the centering is impossible for the cell (sfx/centering.h) or an option is out of range.
  KnownCellIndexer(const geometry::UnitCell& cell, Centering centering, const IndexerOptions& options,
                   DirectionScorer scorer = {});

  // Up to max_lattices lattices for scattering vectors s (lab, 1/Angstrom, no 2 pi): each searched on the peaks
  // the earlier ones left unexplained. Thread-safe.
  std::vector<IndexedLattice> index(std::span<const geometry::Vec3> s, std::size_t max_lattices = 1) const;

  // One lattice among the `active` peaks, which `share` lattices may still share (it needs min_fraction / share
  // of them): the step index() repeats, for callers that decide between lattices which peaks were explained.
  bool index_among(std::span<const geometry::Vec3> s, const std::vector<std::uint32_t>& active, std::size_t share,
                   IndexedLattice& out) const;

  const geometry::UnitCell& cell() const { return cell_; }
  Centering centering() const { return centering_; }

 private:
  struct Candidate;
  bool index_one(std::span<const geometry::Vec3> s, const std::vector<std::uint32_t>& active, std::size_t share,
                 double min_count, IndexedLattice& out) const;
  // share: how many lattices may still be among the peaks (the search widens with it).
  std::vector<Candidate> search(std::span<const geometry::Vec3> s, const std::vector<std::uint32_t>& order,
                                std::size_t share) const;
  bool same_orientation(const geometry::Mat3& u1, const geometry::Mat3& u2) const;
  geometry::Mat3 refine_orientation(std::span<const geometry::Vec3> s, const std::vector<std::uint32_t>& order,
                                    geometry::Mat3 u, double first_radius) const;
  void assign(std::span<const geometry::Vec3> s, const std::vector<std::uint32_t>& peaks, const geometry::Mat3& m,
              double tolerance, double radius, std::vector<std::uint32_t>& chosen,
              std::vector<std::array<int, 3>>& hkl) const;

  geometry::UnitCell cell_;
  Centering centering_;
  IndexerOptions options_;
  geometry::Mat3 b_{}, b_inverse_{};  // B (columns a*, b*, c* in the crystal frame) and B^-1 (rows a, b, c)
  int longest_ = 0;                   // which real-space vector step 1 searches for
  double longest_length_ = 0, max_length_ = 0;
  std::vector<geometry::Mat3> symmetry_;  // B S B^-1 for the lattice's proper symmetries S
  DirectionScorer scorer_;
};

}  // namespace xpulse::sfx
