#include "spi/slicer.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::spi {
namespace {

constexpr std::size_t kPointsPerBatch = std::size_t{1} << 22;

}  // namespace

Slicer::Slicer(std::size_t m, double voxel, std::vector<double> q, double eps, unsigned threads)
    : m_(m), voxel_(voxel), q_(std::move(q)) {
  if (m % 2 == 0 || m < 3) throw InvalidArgument(fmt::format("the SPI grid size must be odd and >= 3, got {}", m));
  if (!(voxel > 0)) throw InvalidArgument(fmt::format("the voxel size must be > 0, got {}", voxel));
  const double limit = std::numbers::pi * static_cast<double>(m - 1) / static_cast<double>(m) / voxel;
  for (std::size_t p = 0; p < q_.size() / 3; ++p) {
    const double norm = std::hypot(q_[3 * p], q_[3 * p + 1], q_[3 * p + 2]);
    if (norm > limit * (1 + 1e-9)) {
      throw InputError(fmt::format("pixel {} has |q| = {} 1/angstrom, beyond the grid's {}", p, norm, limit));
    }
  }
  const std::vector<std::size_t> modes = {m, m, m};
  plan_ = std::make_unique<nufft::Plan<double>>(2, modes, eps, nufft::PlanOptions{+1, threads});
}

void Slicer::slice(const std::vector<std::complex<double>>& autocorrelation,
                   const std::vector<geometry::Quaternion>& orientations, float* out) {
  const std::size_t pixels = this->pixels();
  if (autocorrelation.size() != m_ * m_ * m_) throw InvalidArgument("autocorrelation grid has the wrong size");
  std::vector<std::complex<double>> modes(autocorrelation);
  const std::size_t per_batch = std::max<std::size_t>(1, kPointsPerBatch / std::max<std::size_t>(1, pixels));
  std::vector<double> x, y, z;
  std::vector<std::complex<double>> values;
  for (std::size_t first = 0; first < orientations.size(); first += per_batch) {
    const std::size_t count = std::min(per_batch, orientations.size() - first);
    x.resize(count * pixels), y.resize(count * pixels), z.resize(count * pixels);
    for (std::size_t o = 0; o < count; ++o) {
      const geometry::Mat3 rt = geometry::transpose(geometry::rotation_matrix(orientations[first + o]));
      for (std::size_t p = 0; p < pixels; ++p) {
        const double* q = q_.data() + 3 * p;
        const std::size_t k = o * pixels + p;
        const geometry::Vec3 molecule = geometry::mul(rt, geometry::Vec3{q[0], q[1], q[2]});
        x[k] = molecule[0] * voxel_;
        y[k] = molecule[1] * voxel_;
        z[k] = molecule[2] * voxel_;
      }
    }
    values.resize(count * pixels);
    plan_->set_points(values.size(), x.data(), y.data(), z.data());
    plan_->execute(values.data(), modes.data());
    for (std::size_t k = 0; k < values.size(); ++k) out[first * pixels + k] = static_cast<float>(values[k].real());
  }
}

}  // namespace xpulse::spi
