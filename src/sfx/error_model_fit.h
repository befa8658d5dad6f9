#pragma once
// The ev11 error model of a merge (after Brewster et al. 2019, as aimless's SdFac/SdB/SdAdd):
//   sigma'^2 = SdFac^2 [sigma^2 + SdB I_h + (SdAdd I_h)^2],
// fitted so that the normalised deviations of the observations from their merge have unit variance in every
// bin of merged intensity. Each deviation is an observation against the mean of the others of its reflection
// (leave one out): a mean that includes the observation pulls the deviations of heavily weighted observations
// towards 0 and SdFac below the truth. No I/O.
#include <cstddef>
#include <cstdint>
#include <span>

namespace xpulse::sfx {

struct ErrorModel {
  double sd_fac = 1, sd_b = 0, sd_add = 0;
};

// sigma' of an observation with counting sigma `sigma` (in the units of the merge) of a reflection whose merged
// intensity is `merged` (negative merged values count as 0).
double error_model_sigma(const ErrorModel& model, double sigma, double merged);

constexpr std::size_t kErrorModelBins = 16;

// One observation's deviation from the others of its reflection.
struct ErrorModelTerm {
  double squared_deviation = 0;  // (v - m_-i)^2
  double counting_variance = 0;  // sigma^2 of v, in the units of the merge
  double merged = 0;             // max(I_h, 0)
  double others_variance = 0;    // var(m_-i)
  std::uint32_t bin = 0;         // < kErrorModelBins, by merged intensity
};

// Levenberg-Marquardt on ln(mean delta^2) per bin, with SdFac = e^p0, SdB = p1^2, SdAdd = p2^2; `start` when
// there are too few terms to fit (fewer than 10 a bin).
ErrorModel fit_error_model(std::span<const ErrorModelTerm> terms, const ErrorModel& start);

}  // namespace xpulse::sfx
