#pragma once
// The statistics of a merged dataset by resolution shell (equal volumes of reciprocal space, 1/d^3 evenly
// split) and overall, as CrystFEL's check_hkl/compare_hkl and DIALS/aimless report them:
//   completeness = unique measured / unique possible (sfx/possible_reflections.h), multiplicity = observations
//   / unique, <I/sigma> over the unique reflections;
//   CC1/2 = Pearson's correlation of the two half-dataset means of the reflections measured in both halves;
//   CC1/2 by sigma-tau (Assmann et al. 2016), without a split: with var_y the variance of the merged means in the
//   shell and var_e the mean of their error variances (each reflection's observation variance over n),
//   CC1/2 = (var_y - var_e) / (var_y + var_e), since a half's mean has twice the full mean's error variance;
//   CC* = sqrt(2 CC1/2 / (1 + CC1/2)) (Karplus & Diederichs 2012), 0 when CC1/2 <= 0;
//   Rsplit = (1 / sqrt 2) sum |I1 - I2| / (1/2 sum |I1 + I2|) over reflections in both halves (White et al. 2012).
// No I/O.
#include <cstddef>
#include <span>
#include <vector>

namespace xpulse::sfx {

// One unique reflection as the statistics see it. half1/half2: the two half-datasets' means (NaN where a half
// has none); error_variance: the variance of its observations over their number (NaN with fewer than two).
struct ReflectionSummary {
  double d = 0;                 // Angstrom
  double intensity = 0, sigma = 0;
  std::size_t observations = 0;
  double half1 = 0, half2 = 0;
  double error_variance = 0;
};

struct ShellStatistics {
  double d_max = 0, d_min = 0;  // Angstrom
  std::size_t unique = 0, possible = 0, observations = 0;
  double completeness = 0;      // fraction
  double multiplicity = 0;
  double mean_i_over_sigma = 0;
  double cc_half = 0, cc_half_sigma_tau = 0, cc_star = 0, r_split = 0;
  std::size_t pairs = 0;        // reflections in both halves (what CC1/2 and Rsplit use)
};

struct MergeStatistics {
  std::vector<ShellStatistics> shells;  // lowest resolution first
  ShellStatistics overall;
};

// Shell edges in d (Angstrom, decreasing, shells + 1 values) of equal reciprocal volume between d_max and d_min.
std::vector<double> shell_edges(double d_max, double d_min, std::size_t shells);

// possible[i]: unique reflections the cell and symmetry allow in shell i (the same edges). A reflection at an
// edge belongs to the higher-resolution shell, except at d_min, which the last shell holds.
MergeStatistics merge_statistics(std::span<const ReflectionSummary> reflections, std::span<const double> edges,
                                 std::span<const std::size_t> possible);

// The shell of resolution d among the edges, or -1 outside them.
int shell_of(double d, std::span<const double> edges);

// Pearson's correlation of paired values; NaN with fewer than two pairs or no spread.
double pearson(std::span<const double> a, std::span<const double> b);

}  // namespace xpulse::sfx
