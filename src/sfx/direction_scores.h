#pragma once
// Step 1 of the known-cell search (sfx/known_cell_indexer.h) for every direction at once, with a CPU and a CUDA
// twin: the periodicity score sum_i cos(2 pi |v| t . s_i) of each direction t of a Fibonacci half-sphere of n
// points over the search peaks' scattering vectors s_i. Both twins evaluate the same single-precision term
// (cos_two_pi, shared with the indexer) and add the terms in peak order in double, without contraction, so they
// differ only where the device's sine or cosine of the golden-angle azimuth differs from the host's in the last
// bit. The CUDA twin is one thread per direction, in the CUDA module (runtime/cuda_module.h); InputError saying why on
// construction when the module cannot be loaded.
#include <cmath>
#include <cstddef>
#include <memory>
#include <vector>

#include "core/host_device.h"

namespace xpulse::sfx {

// cos(2 pi x) in single precision, in a form compilers vectorise: x reduced to f in [-1/2, 1/2] (rounded by
// adding and taking away 1.5 x 2^23, exact for |x| < 2^22), cos(pi f) by its Taylor series to the 10th power
// (error < 1e-6 on [-pi/2, pi/2]), then cos(2a) = 2 cos(a)^2 - 1.
XPULSE_HD inline float cos_two_pi(float x) {
  const float nearest = (x + 12582912.0f) - 12582912.0f;
  const float a = 3.14159265f * (x - nearest), a2 = a * a;
  const float c = 1 + a2 * (-1.0f / 2 + a2 * (1.0f / 24 + a2 * (-1.0f / 720 + a2 * (1.0f / 40320 +
                  a2 * (-1.0f / 3628800)))));
  return 2 * c * c - 1;
}

// Direction d of n on the half-sphere z > 0: z = (d + 1/2) / n, azimuth d times the golden angle.
XPULSE_HD inline void fibonacci_direction(std::size_t d, std::size_t n, double& x, double& y, double& z) {
  const double golden = 2.3999632297286531;  // pi (3 - sqrt(5))
  z = (static_cast<double>(d) + 0.5) / static_cast<double>(n);
  const double r = sqrt(1 - z * z), phi = golden * static_cast<double>(d);
  x = r * cos(phi), y = r * sin(phi);
}

// The scattering vectors of the search peaks by component (1/Angstrom).
struct ScorePeaks {
  std::vector<float> x, y, z;
};

// Every direction's score for the vector of `length` Angstrom, on the host.
std::vector<double> direction_scores(const ScorePeaks& peaks, double length, std::size_t n);

class CudaDirectionScores {
 public:
  explicit CudaDirectionScores(int device = 0);
  ~CudaDirectionScores();
  CudaDirectionScores(const CudaDirectionScores&) = delete;
  CudaDirectionScores& operator=(const CudaDirectionScores&) = delete;

  std::vector<double> scores(const ScorePeaks& peaks, double length, std::size_t n);

  // What the module implements; its entry point "xpulse_cuda_direction_scores" is a Factory.
  class Backend {
   public:
    virtual ~Backend() = default;
    virtual std::vector<double> scores(const ScorePeaks& peaks, double length, std::size_t n) = 0;
  };
  using Factory = std::unique_ptr<Backend>(int device);

 private:
  std::unique_ptr<Backend> impl_;
};

}  // namespace xpulse::sfx
