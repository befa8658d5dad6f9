#pragma once
// Scaling and merging of stills' partial observations (`xpulse sfx merge`), as cctbx.xfel.merge and CrystFEL's
// partialator do it:
//   each observation I of crystal c at resolution d is modelled as G_c exp(-B_c / (2 d^2)) P p I_h, with P its
//   polarisation factor, p its partiality (1 with --model unity) and I_h the merged intensity of its
//   asymmetric-unit reflection h;
//   scaling fits G_c (and B_c) to the current merge by weighted least squares; with crystal models and a
//   partiality model, post-refinement (sfx/post_refinement.h) fits them together with each crystal's small
//   rotations and profile width, and the partialities are recomputed;
//   with a reference dataset, scaling and post-refinement are against it instead of the current merge;
//   a crystal is rejected when it has fewer than min_observations_per_crystal observations, or when its weighted
//   residual per observation after post-refinement exceeds reject_residual times the median crystal's (a crystal
//   the model cannot describe: misindexed, split, or another cell);
//   merging takes the weighted mean of the corrected observations I / (G e p), weights 1 / sigma'^2;
//   the error model (ev11 after Brewster et al. 2019, as aimless's SdFac/SdB/SdAdd): sigma'^2 = SdFac^2
//   [sigma^2 + SdB I_h + (SdAdd I_h)^2], fitted so that the normalised deviations of the observations from their
//   merge have unit variance in every intensity bin.
// Observations less partial than min_partiality times their crystal's most partial one are not merged (the
// tails of a partiality model are its least certain part). No I/O.
//
// Distribution (MPI): each rank passes any share of the observations. They are sent to the rank that owns their
// crystal (crystals in contiguous blocks), where scaling and post-refinement run; each cycle the corrected
// observations go on to the rank that owns their asymmetric-unit reflection (reflections in contiguous blocks of
// the sorted index), which merges them; the merged table is then gathered on every rank. Sums run in an order
// fixed by the data alone (a crystal's observations sorted by content, a reflection's by crystal), so the result
// is the same bits for any rank count, thread count and input order, and is returned on every rank.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "runtime/world.h"
#include "sfx/error_model_fit.h"
#include "sfx/merge_statistics.h"
#include "sfx/merge_symmetry.h"
#include "sfx/post_refinement.h"

namespace xpulse::sfx {

enum class ScaleModel { none, linear, linear_b };
ScaleModel parse_scale_model(const std::string& name);  // InvalidArgument naming the choices

struct Observation {
  std::uint32_t crystal = 0;
  AsuIndex index;                // in the asymmetric unit
  std::array<int, 3> hkl{};      // as indexed (for the crystal's partiality model)
  double intensity = 0, sigma = 0;  // photons
  double partiality = 1;         // recomputed by post-refinement
  double polarization = 1;
  double d = 0;                  // Angstrom
  std::uint8_t half = 0;         // which half-dataset (by crystal) for CC1/2
};

struct MergeOptions {
  ScaleModel scale = ScaleModel::linear;
  PartialityModel model = PartialityModel::offset;  // unity: no partiality correction
  bool error_model = true;       // ev11; false: counting sigmas as given
  std::size_t cycles = 3;        // scale and merge again
  double min_partiality = 0.3;    // relative to the crystal's largest; CrystFEL's partialator merges above 0.3
  std::size_t min_observations_per_crystal = 10;  // fewer: the crystal is not scaled, and not merged
  double reject_residual = 5;
  unsigned threads = 1;          // post-refinement runs in parallel over crystals
  void validate() const;
};

struct CrystalScale {
  double g = 1, b = 0;           // B in Angstrom^2
  CrystalModel model;            // with post-refinement: the refined crystal (its g and b are the above)
  double residual = 0;           // weighted residual per observation after post-refinement
  std::size_t observations = 0;  // merged
  double cc = 0;                 // of its corrected observations with the merge
  bool rejected = false;         // too few observations, or a scale that could not be fitted
};

struct MergedReflection {
  AsuIndex index;
  double d = 0;
  double intensity = 0, sigma = 0;
  std::size_t observations = 0;
  double half1 = 0, half2 = 0, error_variance = 0;  // as sfx/merge_statistics.h's ReflectionSummary
};

struct MergeResult {
  std::vector<MergedReflection> reflections;  // sorted by index
  std::vector<CrystalScale> crystals;
  ErrorModel error_model;
};

// observations: any order; crystals: how many (indices below it). models: one per crystal for post-refinement
// (empty: the observations' partialities are kept). reference: intensities by asymmetric-unit index to scale and
// post-refine against instead of the current merge (reflections it lacks take no part in scaling). Throws
// InvalidArgument when nothing can be merged. world: the ranks that share the work (nullptr: this process alone);
// crystals, models and reference must be the same on every rank, and every rank must call.
using ReferenceIntensities = std::vector<std::pair<AsuIndex, double>>;
MergeResult scale_and_merge(std::vector<Observation> observations, std::size_t crystals, const MergeOptions& options,
                            const std::vector<CrystalModel>& models = {}, const ReferenceIntensities& reference = {},
                            runtime::World* world = nullptr);

// The summaries merge_statistics() takes.
std::vector<ReflectionSummary> summaries(const MergeResult& result);

}  // namespace xpulse::sfx
