#pragma once
// Slicing of M-TIP (REFERENCE.md section 3, step 1): the model intensity at the pixels of a detector in given
// orientations, I(R^T q_p) = sum_n a_n exp(i (R^T q_p) . r_n), with a the (real) autocorrelation on the centred
// real-space grid (grid_transform.h): one type 2 NUFFT over all pixels of a batch of orientations.
#include <cstddef>
#include <memory>
#include <vector>

#include "geometry/quaternion.h"
#include "nufft/plan.h"

namespace xpulse::spi {

class Slicer {
 public:
  // m: grid size (odd); voxel: real-space voxel, angstrom; q: [pixels][3] lab-frame q (1/angstrom), each
  // |q| <= (M/2) dq = pi (M - 1) / (M voxel).
  Slicer(std::size_t m, double voxel, std::vector<double> q, double eps, unsigned threads);

  std::size_t pixels() const { return q_.size() / 3; }

  // out [orientations][pixels] (float32): the real part of the slices (the imaginary part of a centrosymmetric
  // model's transform is zero to the NUFFT tolerance).
  void slice(const std::vector<std::complex<double>>& autocorrelation,
             const std::vector<geometry::Quaternion>& orientations, float* out);

 private:
  std::size_t m_;
  double voxel_;
  std::vector<double> q_;
  std::unique_ptr<nufft::Plan<double>> plan_;
};

}  // namespace xpulse::spi
