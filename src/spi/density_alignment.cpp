#include "spi/density_alignment.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

#include <fmt/format.h>

#include "core/error.h"
#include "nufft/fine_grid_fft.h"
#include "spi/grid_transform.h"

namespace xpulse::spi {
namespace {

std::vector<double> minus_mean(std::vector<double> v) {
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double& x : v) x -= mean;
  return v;
}

double norm2(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return s;
}

// The reference's transform, kept, and a buffer to correlate candidates against it at all circular shifts.
class ShiftCorrelator {
 public:
  ShiftCorrelator(const std::vector<std::complex<double>>& reference_spectrum, double reference_norm, std::size_t m)
      : m_(m), spectrum_(reference_spectrum), norm_(reference_norm), work_(m * m * m) {
    const std::size_t dims[3] = {m, m, m};
    forward_ = std::make_unique<nufft::FineGridFft<double>>(dims, -1, 1, work_.data());
    backward_ = std::make_unique<nufft::FineGridFft<double>>(dims, +1, 1, work_.data());
  }

  // Best correlation over integer shifts; peak: its index per axis, signed; around: correlation at +-1 per axis.
  double best(const std::vector<double>& candidate, int peak[3], double around[3][2]) {
    const std::vector<double> b = minus_mean(candidate);
    const double nb = norm2(b);
    for (std::size_t k = 0; k < b.size(); ++k) work_[k] = b[k];
    forward_->execute();
    for (std::size_t k = 0; k < work_.size(); ++k) work_[k] = spectrum_[k] * std::conj(work_[k]);
    backward_->execute();
    const double scale = 1.0 / (static_cast<double>(work_.size()) * std::sqrt(norm_ * nb));
    std::size_t arg = 0;
    for (std::size_t k = 1; k < work_.size(); ++k) {
      if (work_[k].real() > work_[arg].real()) arg = k;
    }
    const std::size_t m = m_, idx[3] = {arg % m, (arg / m) % m, arg / (m * m)};
    for (int d = 0; d < 3; ++d) {
      peak[d] = idx[d] <= m / 2 ? static_cast<int>(idx[d]) : static_cast<int>(idx[d]) - static_cast<int>(m);
      for (int side = 0; side < 2; ++side) {
        std::size_t j[3] = {idx[0], idx[1], idx[2]};
        j[d] = (j[d] + (side == 0 ? m - 1 : 1)) % m;
        around[d][side] = work_[j[0] + m * (j[1] + m * j[2])].real() * scale;
      }
    }
    return nb > 0 ? work_[arg].real() * scale : 0.0;
  }

 private:
  std::size_t m_;
  const std::vector<std::complex<double>>& spectrum_;
  double norm_;
  std::vector<std::complex<double>> work_;
  std::unique_ptr<nufft::FineGridFft<double>> forward_, backward_;
};

std::vector<std::complex<double>> plain_spectrum(const std::vector<double>& v, std::size_t m) {
  std::vector<std::complex<double>> work(v.begin(), v.end());
  const std::size_t dims[3] = {m, m, m};
  nufft::FineGridFft<double> fft(dims, -1, 1, work.data());
  fft.execute();
  return work;
}

// The central n^3 of the density's spectrum, back in real space: the same box at a coarser voxel.
std::vector<double> fourier_crop(const std::vector<double>& in, std::size_t m, std::size_t n, unsigned threads) {
  if (n >= m) return in;
  const auto f = reciprocal_from_real_space(std::vector<std::complex<double>>(in.begin(), in.end()), m, threads);
  std::vector<std::complex<double>> cropped(n * n * n);
  const std::size_t o = m / 2 - n / 2;
  for (std::size_t z = 0; z < n; ++z)
    for (std::size_t y = 0; y < n; ++y)
      for (std::size_t x = 0; x < n; ++x) cropped[x + n * (y + n * z)] = f[(x + o) + m * ((y + o) + m * (z + o))];
  const auto r = real_space_from_reciprocal(cropped, n, threads);
  std::vector<double> out(r.size());
  for (std::size_t k = 0; k < r.size(); ++k) out[k] = r[k].real();
  return out;
}

geometry::Quaternion axis_rotation(int axis, double angle) {
  geometry::Quaternion q{std::cos(angle / 2), 0, 0, 0};
  q[1 + axis] = std::sin(angle / 2);
  return q;
}

double sample(const std::vector<double>& in, std::size_t m, double x, double y, double z) {
  const double fx = std::floor(x), fy = std::floor(y), fz = std::floor(z);
  const auto ix = static_cast<long>(fx), iy = static_cast<long>(fy), iz = static_cast<long>(fz);
  const double tx = x - fx, ty = y - fy, tz = z - fz;
  const long lm = static_cast<long>(m);
  double s = 0;
  for (int dz = 0; dz < 2; ++dz)
    for (int dy = 0; dy < 2; ++dy)
      for (int dx = 0; dx < 2; ++dx) {
        const long X = ix + dx, Y = iy + dy, Z = iz + dz;
        if (X < 0 || Y < 0 || Z < 0 || X >= lm || Y >= lm || Z >= lm) continue;
        const double w = (dx ? tx : 1 - tx) * (dy ? ty : 1 - ty) * (dz ? tz : 1 - tz);
        s += w * in[static_cast<std::size_t>(X + lm * (Y + lm * Z))];
      }
  return s;
}

}  // namespace

std::vector<double> rotate_density(const std::vector<double>& in, std::size_t m, const geometry::Mat3& r,
                                   bool inverted) {
  const double c = static_cast<double>(m / 2);
  const geometry::Mat3 rt = geometry::transpose(r);
  std::vector<double> out(m * m * m);
  for (std::size_t z = 0; z < m; ++z)
    for (std::size_t y = 0; y < m; ++y)
      for (std::size_t x = 0; x < m; ++x) {
        const geometry::Vec3 p = {static_cast<double>(x) - c, static_cast<double>(y) - c, static_cast<double>(z) - c};
        const geometry::Vec3 source = geometry::scale(inverted ? -1.0 : 1.0, geometry::mul(rt, p));
        out[x + m * (y + m * z)] = sample(in, m, source[0] + c, source[1] + c, source[2] + c);
      }
  return out;
}

std::vector<double> shift_density(const std::vector<double>& in, std::size_t m, const double shift[3],
                                  unsigned threads) {
  std::vector<std::complex<double>> work(in.begin(), in.end());
  const std::size_t dims[3] = {m, m, m};
  nufft::FineGridFft<double> forward(dims, -1, threads, work.data()), backward(dims, +1, threads, work.data());
  forward.execute();
  const double md = static_cast<double>(m);
  auto frequency = [&](std::size_t j) { return j <= m / 2 ? static_cast<double>(j) : static_cast<double>(j) - md; };
  for (std::size_t z = 0; z < m; ++z)
    for (std::size_t y = 0; y < m; ++y)
      for (std::size_t x = 0; x < m; ++x) {
        const double phase = -2 * std::numbers::pi *
                             (frequency(x) * shift[0] + frequency(y) * shift[1] + frequency(z) * shift[2]) / md;
        work[x + m * (y + m * z)] *= std::polar(1.0, phase);
      }
  backward.execute();
  std::vector<double> out(in.size());
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = work[k].real() / static_cast<double>(work.size());
  return out;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const std::vector<double> da = minus_mean(a), db = minus_mean(b);
  double ab = 0;
  for (std::size_t k = 0; k < da.size(); ++k) ab += da[k] * db[k];
  const double d = std::sqrt(norm2(da) * norm2(db));
  return d > 0 ? ab / d : 0.0;
}

std::vector<double> resample_density(const std::vector<double>& in, std::size_t m, double voxel, std::size_t n,
                                     double to_voxel) {
  const double cm = static_cast<double>(m / 2), cn = static_cast<double>(n / 2), f = to_voxel / voxel;
  std::vector<double> out(n * n * n);
  for (std::size_t z = 0; z < n; ++z)
    for (std::size_t y = 0; y < n; ++y)
      for (std::size_t x = 0; x < n; ++x) {
        out[x + n * (y + n * z)] = sample(in, m, (static_cast<double>(x) - cn) * f + cm,
                                          (static_cast<double>(y) - cn) * f + cm, (static_cast<double>(z) - cn) * f + cm);
      }
  return out;
}

Alignment align_density(const std::vector<double>& moving, const std::vector<double>& reference, std::size_t m,
                        const AlignmentOptions& options, runtime::ThreadPool& pool) {
  const std::size_t m3 = m * m * m;
  if (m % 2 == 0 || moving.size() != m3 || reference.size() != m3) {
    throw InvalidArgument("alignment needs two densities on the same M^3 grid, M odd");
  }
  if (options.coarse_rotations < 1 || options.coarse_grid % 2 == 0) {
    throw InvalidArgument("alignment needs >= 1 coarse rotation and an odd coarse grid");
  }
  // Coarse search over rotations and hands.
  const std::size_t n = std::min(m, options.coarse_grid);
  const std::vector<double> coarse_moving = fourier_crop(moving, m, n, pool.size());
  const std::vector<double> coarse_reference = minus_mean(fourier_crop(reference, m, n, pool.size()));
  const std::vector<std::complex<double>> coarse_spectrum = plain_spectrum(coarse_reference, n);
  const double coarse_norm = norm2(coarse_reference);
  const std::vector<geometry::Quaternion> rotations = geometry::random_orientations(options.coarse_rotations, options.seed);
  std::vector<std::unique_ptr<ShiftCorrelator>> correlators(pool.size());
  for (auto& c : correlators) c = std::make_unique<ShiftCorrelator>(coarse_spectrum, coarse_norm, n);
  std::vector<double> score(2 * rotations.size());
  pool.parallel_for(score.size(), [&](std::size_t k, unsigned worker) {
    int peak[3];
    double around[3][2];
    const bool inverted = k >= rotations.size();
    const auto r = geometry::rotation_matrix(rotations[k % rotations.size()]);
    score[k] = correlators[worker]->best(rotate_density(coarse_moving, n, r, inverted), peak, around);
  });
  const std::size_t arg = static_cast<std::size_t>(std::max_element(score.begin(), score.end()) - score.begin());
  Alignment result;
  result.inverted = arg >= rotations.size();
  result.rotation = rotations[arg % rotations.size()];

  // Pattern search of small rotations on the full grid.
  const std::vector<double> full_reference = minus_mean(reference);
  const std::vector<std::complex<double>> spectrum = plain_spectrum(full_reference, m);
  ShiftCorrelator full(spectrum, norm2(full_reference), m);
  int peak[3];
  double around[3][2];
  auto evaluate = [&](const geometry::Quaternion& q, int p[3], double a[3][2]) {
    return full.best(rotate_density(moving, m, geometry::rotation_matrix(q), result.inverted), p, a);
  };
  double best = evaluate(result.rotation, peak, around);
  double step = std::cbrt(6 * std::numbers::pi / static_cast<double>(options.coarse_rotations)) / 2;
  const double final_step = options.final_step_degrees * std::numbers::pi / 180;
  while (step >= final_step) {
    bool improved = false;
    for (int axis = 0; axis < 3; ++axis) {
      for (double sign : {-1.0, 1.0}) {
        const geometry::Quaternion trial = geometry::multiply(axis_rotation(axis, sign * step), result.rotation);
        int p[3];
        double a[3][2];
        const double s = evaluate(trial, p, a);
        if (s > best) {
          best = s, result.rotation = trial, improved = true;
          std::copy(p, p + 3, peak);
          for (int d = 0; d < 3; ++d) around[d][0] = a[d][0], around[d][1] = a[d][1];
        }
      }
    }
    if (!improved) step /= 2;
  }
  // Sub-voxel shift: the vertex of the parabola through the peak and its neighbours.
  for (int d = 0; d < 3; ++d) {
    const double lo = around[d][0], hi = around[d][1], denom = lo - 2 * best + hi;
    const double fraction = denom < 0 ? std::clamp(0.5 * (lo - hi) / denom, -0.5, 0.5) : 0.0;
    result.shift[d] = peak[d] + fraction;
  }
  result.aligned = shift_density(rotate_density(moving, m, geometry::rotation_matrix(result.rotation), result.inverted),
                                 m, result.shift, pool.size());
  result.cc = correlation(result.aligned, reference);
  return result;
}

}  // namespace xpulse::spi
