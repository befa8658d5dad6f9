#pragma once
// `xpulse sfx merge`: the reflection tables of `xpulse sfx process` (one or more files) scaled and merged into one
// dataset in a point group's asymmetric unit (sfx/scaled_merge.h), with statistics by resolution shell
// (sfx/merge_statistics.h). Written by the output's extension:
//   .mtz: H K L IMEAN SIGIMEAN N (I(+)/I(-) with --anomalous), cell and space group set;
//   .hkl: a CrystFEL reflection list 2.0, with .hkl1/.hkl2 beside it from the two half-datasets;
//   .h5:  /merged/{hkl [R,3], minus, intensity, sigma, multiplicity, d, half1, half2} [R].
// Every format also gets the statistics, the crystals' scales and the error model in HDF5: in the .h5 output
// itself, else in OUT.stats.h5 (/statistics/{d_max, d_min, unique, possible, completeness, multiplicity,
// mean_i_over_sigma, cc_half, cc_half_sigma_tau, cc_star, r_split, pairs} per shell, and /statistics/overall_*).
// Each crystal goes wholly into one half-dataset, drawn with a fixed seed. --reference F.mtz: the crystals are
// scaled and post-refined against its intensities (IMEAN, or the squares of an amplitude column), in the
// asymmetric unit of the merge; its cell must be the tables'.
// Under MPI (mpirun) the ranks read shares of the tables' reflections and merge together (sfx/scaled_merge.h:
// the same bits for any rank count); rank 0 writes.
#include <string>
#include <vector>

#include "geometry/lattice.h"
#include "sfx/merge_statistics.h"
#include "sfx/scaled_merge.h"

namespace xpulse::pipelines {

struct SfxMergeRequest {
  std::vector<std::string> inputs;
  std::string out;
  std::string point_group;            // or a space group
  std::string reference;              // optional MTZ to scale and post-refine against
  bool anomalous = false;
  std::string model = "offset";       // unity | xsphere | offset: the partiality model (sfx/post_refinement.h)
  std::string scale = "linear";       // linear | linear-b | none
  std::string error_model = "ev11";   // ev11 | none
  std::size_t iterations = 3;
  double min_partiality = 0.3;        // observations predicted less partial are not merged (CrystFEL's cut)
  double min_res = 0, max_res = 0;    // Angstrom: lowest and highest resolution merged (0: the data's)
  std::size_t shells = 10;
  std::size_t min_measurements = 2;   // fewer: the reflection is left out of the output and the statistics
  unsigned threads = 1;
  std::string command_line;
};

struct SfxMergeSummary {
  std::size_t files = 0, crystals = 0, rejected_crystals = 0, observations = 0, reflections = 0;
  sfx::MergeStatistics statistics;
  sfx::ErrorModel error_model;
  std::string point_group, space_group;
  std::string statistics_file;        // where the statistics went
  std::string distribution;           // "1 process", "3 MPI ranks"
  double seconds = 0;
};

SfxMergeSummary sfx_merge_files(const SfxMergeRequest& request);

// The steps of sfx_merge_files for callers with observations in memory (the Python module): the request's
// options checked and converted (InvalidArgument naming the option); whole crystals split into two halves with a
// fixed seed; scaling, post-refinement (with models) and merging, then the statistics in request.shells shells.
// Under MPI every rank calls merge_dataset with its share of the observations (sfx/scaled_merge.h) and gets the
// whole result.
sfx::MergeOptions merge_options(const SfxMergeRequest& request);
void assign_halves(std::vector<sfx::Observation>& observations, std::size_t crystals);
struct MergedDataset {
  sfx::MergeResult result;
  sfx::MergeStatistics statistics;
};
MergedDataset merge_dataset(std::vector<sfx::Observation> observations, std::size_t crystals,
                            const std::vector<sfx::CrystalModel>& models, const geometry::UnitCell& cell,
                            const sfx::MergeSymmetry& symmetry, const SfxMergeRequest& request,
                            const sfx::ReferenceIntensities& reference = {}, runtime::World* world = nullptr);

}  // namespace xpulse::pipelines
