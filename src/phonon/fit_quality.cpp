#include "phonon/fit_quality.h"

#include <cmath>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"

namespace xpulse::phonon {

void FitQuality::validate() const {
  bool any = false;
  for (bool a : accepted_status) any = any || a;
  if (!any) throw InvalidArgument("--status accepts no fit status");
  if (!(max_chi2 > 0.0)) throw InvalidArgument(fmt::format("--max-chi2 must be positive, got {}", max_chi2));
  if (!(min_snr >= 0.0) || !std::isfinite(min_snr)) {
    throw InvalidArgument(fmt::format("--min-snr must be >= 0, got {}", min_snr));
  }
}

bool FitQuality::accepts(std::uint8_t status, float chi2, float amplitude, float amplitude_err, float frequency,
                         float frequency_err) const {
  if (status >= fit::kFitStatusCount || !accepted_status[status]) return false;
  if (!(chi2 <= max_chi2)) return false;
  if (!(frequency > 0.0f) || !std::isfinite(frequency) || !(frequency_err > 0.0f) || !std::isfinite(frequency_err)) {
    return false;
  }
  if (min_snr > 0.0 && !(amplitude >= min_snr * amplitude_err)) return false;  // NaN error fails too
  return true;
}

std::string FitQuality::describe() const {
  std::vector<std::string_view> names;
  for (int s = 0; s < fit::kFitStatusCount; ++s) {
    if (accepted_status[s]) names.push_back(fit::to_string(static_cast<fit::FitStatus>(s)));
  }
  return fmt::format("status in {{{}}}, reduced chi2 <= {}, amplitude SNR >= {}", fmt::join(names, ", "), max_chi2,
                     min_snr);
}

std::array<bool, fit::kFitStatusCount> parse_statuses(const std::string& list) {
  std::array<bool, fit::kFitStatusCount> accepted{};
  std::istringstream in(list);
  std::string token;
  while (std::getline(in, token, ',')) {
    token.erase(0, token.find_first_not_of(" \t"));
    token.erase(token.find_last_not_of(" \t") + 1);
    bool found = false;
    for (int s = 0; s < fit::kFitStatusCount; ++s) {
      if (token == fit::to_string(static_cast<fit::FitStatus>(s)) || token == std::to_string(s)) {
        accepted[s] = true;
        found = true;
      }
    }
    if (!found) {
      throw InvalidArgument(fmt::format("--status '{}' is not a fit status ({})", token, fit::fit_status_legend()));
    }
  }
  return accepted;
}

}  // namespace xpulse::phonon
