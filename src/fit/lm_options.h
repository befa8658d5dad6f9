#pragma once
// Options of the Levenberg-Marquardt solver.

namespace xpulse::fit {

struct LmOptions {
  int max_iterations = 50;       // trial steps per fit
  double tolerance = 1e-6;       // converged when |d chi2| < tolerance * max(1, chi2)
  double initial_lambda = 1e-3;  // damping factor at the start (Gpufit convention)
  void validate() const;         // throws InvalidArgument naming the field
};

}  // namespace xpulse::fit
