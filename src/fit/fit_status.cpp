#include "fit/fit_status.h"

namespace xpulse::fit {

std::string_view to_string(FitStatus status) {
  switch (status) {
    case FitStatus::converged: return "converged";
    case FitStatus::max_iterations: return "max_iterations";
    case FitStatus::singular_hessian: return "singular_hessian";
    case FitStatus::masked: return "masked";
    case FitStatus::no_signal: return "no_signal";
    case FitStatus::non_finite_input: return "non_finite_input";
  }
  return "unknown";
}

std::string_view fit_status_legend() {
  return "0=converged, 1=max_iterations, 2=singular_hessian, 3=masked, 4=no_signal, 5=non_finite_input";
}

}  // namespace xpulse::fit
