#pragma once
// Public API: per-trace damped-cosine fits of a pump-probe stack held in memory, the solver of `xpulse fit`
// (the same results and status codes, bit for bit, on the same data).
//
//   I(t) = offset + amplitude * exp(-damping * t) * cos(2 pi frequency t + phase),   t = delay - t0
//
// Needs C++17. Errors in the input throw xpulse::InputError (xpulse/error.h) with the command line's message.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xpulse {

struct PumpProbeFitOptions {
  double t0_ps = 0.0;                    // delays before t0 are not fitted
  std::string model = "damped-cosine";   // or "damped-cosine-exp" (adds background * exp(-t / background_tau))
  unsigned threads = 0;                  // worker threads; 0: every core the process may use
  // Unset: the defaults of `xpulse fit` (see `xpulse fit --help`).
  std::optional<int> max_iterations;     // LM trial steps per trace
  std::optional<double> tolerance;       // relative chi2 change that ends a fit
  std::optional<double> amp_threshold;   // no_signal below this amplitude (data units)
  std::optional<double> min_snr;         // no_signal when amplitude / stderr(amplitude) is below this
  // Per-point weights 1/sigma^2 (as `xpulse fit --weights`): "none" (chi2 in data units^2, errors scaled by it),
  // "poisson" (sigma^2 = g max(I, g), g = adu_per_photon: chi2 dimensionless, errors from the weights), or
  // "array" (point_weights, laid out like data; 0 drops a point).
  std::string weights = "none";
  double adu_per_photon = 1.0;
  const float* point_weights = nullptr;
};

// Status codes, one per trace, as in /fit/status of `xpulse fit`.
enum class TraceStatus : std::uint8_t {
  converged = 0,
  max_iterations = 1,
  singular_hessian = 2,
  masked = 3,
  no_signal = 4,
  non_finite_input = 5,
};

struct PumpProbeFit {
  std::size_t traces = 0;
  // Parameter names in order: frequency [THz], amplitude [data units], damping [1/ps], phase [rad],
  // offset [data units] (+ background [data units], background_tau [ps]).
  std::vector<std::string> parameters;
  std::vector<std::vector<float>> value;      // [parameter][trace]; NaN where no oscillation was found
  std::vector<std::vector<float>> std_error;  // [parameter][trace], same units
  std::vector<float> chi2;                    // reduced chi2: data units^2, dimensionless when weighted
  std::vector<TraceStatus> status;
  std::vector<std::uint16_t> iterations;

  // The values of one parameter by name; throws xpulse::InvalidArgument for a name the model lacks.
  const std::vector<float>& operator[](const std::string& parameter) const;
};

// Fits every trace of `data`, float32 [n_delays][n_traces] row-major (trace index fastest), at `delays_ps`
// (strictly increasing, n_delays values). `mask`, when not null, holds n_traces flags: nonzero = not fitted.
PumpProbeFit fit_pump_probe(const float* data, std::size_t n_delays, std::size_t n_traces,
                            const std::vector<double>& delays_ps, const PumpProbeFitOptions& options = {},
                            const std::uint8_t* mask = nullptr);

// "converged", "max_iterations", ...
std::string to_string(TraceStatus status);

}  // namespace xpulse
