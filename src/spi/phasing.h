#pragma once
// Phasing of M-TIP (REFERENCE.md section 3, step 4): a real, non-negative density on the centred M^3 grid
// (grid_transform.h) whose transform has the given amplitudes, by error reduction (ER) and hybrid input-output
// (HIO) with a support that shrinkwrap tightens.
//
//   Fourier step:  rho' = F^-1[ amplitude * G / |G| ],  G = F[rho]
//   ER:  rho = rho'             inside the support where rho' >= 0, else 0
//   HIO: rho = rho'             inside the support where rho' >= 0, else rho - beta rho'
//   shrinkwrap: support = { blur(rho) > threshold * max(blur(rho)) },  blur = Gaussian of sigma voxels
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xpulse::spi {

struct PhasingStep {
  enum class Kind { er, hio, shrinkwrap };
  Kind kind;
  int count;  // iterations (1 for shrinkwrap)
};

// A schedule such as "5x(10ER,5HIO,10ER,shrinkwrap)": comma-separated steps "<n>ER", "<n>HIO", "shrinkwrap",
// and groups "<k>x(...)", nested at will. Throws InvalidArgument naming the bad part.
std::vector<PhasingStep> parse_phasing_schedule(const std::string& text);

struct PhasingOptions {
  double hio_beta = 0.9;
  double shrinkwrap_sigma = 1.0;       // voxels
  double shrinkwrap_threshold = 0.2;   // of the blurred density's maximum
  unsigned threads = 1;
};

struct PhasingResult {
  std::vector<double> density;         // [M^3]
  std::vector<std::uint8_t> support;   // [M^3]
  std::size_t support_size = 0;
  double fourier_error = 0;            // | |F rho| - amplitude | / |amplitude| before the last real-space step
};

// The support a phasing starts from: where the autocorrelation exceeds fraction * its maximum. The support of
// the autocorrelation (S - S) holds every translate of the object's support S that the phasing may choose.
std::vector<std::uint8_t> autocorrelation_support(const std::vector<double>& autocorrelation, double fraction);

// amplitude: [M^3] on the reciprocal grid; density, support: the start (updated in place).
PhasingResult phase(const std::vector<double>& amplitude, std::size_t m, std::vector<double> density,
                    std::vector<std::uint8_t> support, const std::vector<PhasingStep>& schedule,
                    const PhasingOptions& options);

}  // namespace xpulse::spi
