#include "spi/mtip.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "core/error.h"
#include "sim/random.h"
#include "spi/cuda_matcher.h"
#include "spi/grid_transform.h"
#include "spi/orientation_matching.h"
#include "spi/slicer.h"

namespace xpulse::spi {
namespace {

constexpr std::size_t kMergePointsPerBatch = std::size_t{1} << 22;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// A phasing start: uniform random values inside the support.
std::vector<double> random_density(const std::vector<std::uint8_t>& support, sim::Xoshiro256 random) {
  std::vector<double> density(support.size(), 0.0);
  for (std::size_t k = 0; k < support.size(); ++k) density[k] = support[k] ? random.uniform() : 0.0;
  return density;
}

std::uint64_t generation_seed(std::uint64_t seed, int generation) {
  std::uint64_t s = seed + 0x632BE59BD9B4E019ull * static_cast<std::uint64_t>(generation + 1);
  return sim::splitmix64(s);
}

}  // namespace

void MtipOptions::validate() const {
  if (grid % 2 == 0 || grid < 7) throw InvalidArgument(fmt::format("--grid must be odd and >= 7, got {}", grid));
  if (references < 1) throw InvalidArgument("--orientations must be >= 1");
  if (!(eps >= 1e-12 && eps <= 1e-2)) throw InvalidArgument(fmt::format("NUFFT tolerance must be in [1e-12, 1e-2], got {}", eps));
  if (merge.lambdas.empty()) throw InvalidArgument("--lambdas needs at least one value");
  for (double l : merge.lambdas) {
    if (!(l > 0) || !std::isfinite(l)) throw InvalidArgument(fmt::format("--lambdas must be > 0, got {}", l));
  }
  if (!(phase.hio_beta > 0 && phase.hio_beta < 2)) throw InvalidArgument("the HIO beta must be in (0, 2)");
  if (!(support_fraction > 0 && support_fraction < 1)) throw InvalidArgument("the support fraction must be in (0, 1)");
  if (phasing_starts < 1) throw InvalidArgument("--phasing-starts must be >= 1");
  parse_phasing_schedule(phasing);
}

std::vector<double> intensity_of(const std::vector<double>& density, std::size_t m, unsigned threads) {
  const std::vector<std::complex<double>> f =
      reciprocal_from_real_space(std::vector<std::complex<double>>(density.begin(), density.end()), m, threads);
  std::vector<double> out(f.size());
  for (std::size_t k = 0; k < f.size(); ++k) out[k] = std::norm(f[k]);
  return out;
}

std::vector<double> autocorrelation_of(const std::vector<double>& density, std::size_t m, unsigned threads) {
  const std::vector<double> intensity = intensity_of(density, m, threads);
  const std::vector<std::complex<double>> a =
      real_space_from_reciprocal(std::vector<std::complex<double>>(intensity.begin(), intensity.end()), m, threads);
  std::vector<double> out(a.size());
  for (std::size_t k = 0; k < a.size(); ++k) out[k] = a[k].real();
  return out;
}

Mtip::Mtip(const MtipData& data, const MtipOptions& options, runtime::ThreadPool& pool, runtime::World& world)
    : data_(data), options_(options), pool_(pool), world_(world) {
  options_.validate();
  schedule_ = parse_phasing_schedule(options_.phasing);
  const std::size_t n = data.n_images, p = data.pixels;
  total_ = data.total_images == 0 ? n : data.total_images;
  if (total_ == 0) throw InputError("the SPI data has no images");
  if (data.first_image + n > total_) throw InvalidArgument("this process's images lie beyond the data set");
  if (p == 0) throw InputError("the SPI images have no pixels");
  if (!(data.q_max > 0) || !std::isfinite(data.q_max)) throw InputError("the detector's q range is not positive");
  q_norm_.resize(p);
  for (std::size_t k = 0; k < p; ++k) {
    q_norm_[k] = std::hypot(data.q[3 * k], data.q[3 * k + 1], data.q[3 * k + 2]);
    if (q_norm_[k] > data.q_max * (1 + 1e-9)) throw InputError(fmt::format("pixel {} has |q| beyond the q range", k));
    if (!(data.pixel_factor[k] >= 0)) throw InputError(fmt::format("pixel {} has a negative intensity factor", k));
  }
  std::vector<double> sum(p, 0.0);
  // Each rank checks its own images; all agree before the first collective.
  runtime::run_phase(world_, [&] {
    for (std::size_t i = 0; i < n; ++i) {
      const float* image = data.images + i * p;
      for (std::size_t k = 0; k < p; ++k) {
        if (!(image[k] >= 0) || !std::isfinite(image[k])) {
          throw InputError(fmt::format("image {} pixel {} holds {}: counts must be finite and >= 0",
                                       data.first_image + i, k, image[k]));
        }
        sum[k] += image[k];
      }
    }
  });
  world_.sum_all(std::span<double>(sum));
  pixel_weight_.resize(p);
  for (std::size_t k = 0; k < p; ++k) {
    const double m = sum[k] / static_cast<double>(total_);
    pixel_weight_[k] = m > 0 && data.pixel_factor[k] > 0 ? static_cast<float>(1.0 / std::sqrt(m)) : 0.0f;
  }
  dq_ = data.q_max / static_cast<double>(options_.grid / 2);
  voxel_ = 2 * std::numbers::pi / (static_cast<double>(options_.grid) * dq_);
}

void Mtip::run_generation(MtipState& state) {
  GenerationRecord record;
  record.generation = state.generations_done;
  const std::size_t n = data_.n_images, p = data_.pixels;
  if (state.generations_done == 0) {
    state.orientations = geometry::random_orientations(total_, generation_seed(options_.seed, 0));
    std::vector<double> counts(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 0; k < p; ++k) counts[i] += data_.images[i * p + k];
    }
    state.scales = world_.all_gather(counts);  // every image's total count, in image order
    if (state.scales.size() != total_) throw Error("the ranks' images do not add up to the data set");
    double total = 0;
    for (double s : state.scales) total += s;
    for (double& s : state.scales) s = total > 0 ? s * static_cast<double>(total_) / total : 1.0;
  } else {
    match(state, record);
  }
  merge_and_phase(state, record);
  state.history.push_back(record);
  ++state.generations_done;
}

void Mtip::match(MtipState& state, GenerationRecord& record) {
  const std::size_t n = data_.n_images, p = data_.pixels, m = options_.grid, first = data_.first_image;
  if (state.autocorrelation.size() != m * m * m || state.orientations.size() != total_ ||
      state.scales.size() != total_) {
    throw InvalidArgument("the M-TIP state does not fit this grid and data");
  }
  // Per own image: the matched orientation (4), scale, rotation since last generation, distance.
  constexpr std::size_t kFields = 7;
  std::vector<double> mine(n * kFields);
  runtime::run_phase(world_, [&] {
    auto t = std::chrono::steady_clock::now();
    // Fresh random references, plus every image's current orientation, so that an image keeps its place unless a
    // reference fits it better.
    std::vector<geometry::Quaternion> references =
        geometry::random_orientations(options_.references, generation_seed(options_.seed, state.generations_done));
    references.insert(references.end(), state.orientations.begin(), state.orientations.end());
    const std::size_t r = references.size();
    std::vector<float> slices(r * p);
    Slicer slicer(m, voxel_, std::vector<double>(data_.q, data_.q + 3 * p), options_.eps, pool_.size());
    std::vector<std::complex<double>> model(state.autocorrelation.begin(), state.autocorrelation.end());
    slicer.slice(model, references, slices.data());
    // Pixels beyond this generation's q limit take no part (weight 0 in both images and slices).
    const double step = options_.ramp_generations > 0
                            ? static_cast<double>(state.generations_done - 1) / options_.ramp_generations : 1.0;
    const double q_limit = data_.q_max * std::min(1.0, options_.ramp_start + (1 - options_.ramp_start) * step);
    std::vector<float> weight(pixel_weight_);
    for (std::size_t k = 0; k < p; ++k) {
      if (q_norm_[k] > q_limit * (1 + 1e-12)) weight[k] = 0;
    }
    // Slices as the detector sees them, whitened like the images.
    pool_.parallel_for(r, [&](std::size_t j, unsigned) {
      float* s = slices.data() + j * p;
      for (std::size_t k = 0; k < p; ++k) s[k] *= static_cast<float>(data_.pixel_factor[k]) * weight[k];
    });
    std::vector<float> images(n * p);
    pool_.parallel_for(n, [&](std::size_t i, unsigned) {
      for (std::size_t k = 0; k < p; ++k) images[i * p + k] = data_.images[i * p + k] * weight[k];
    });
    record.slice_seconds = seconds_since(t);

    t = std::chrono::steady_clock::now();
    const MatchOptions how{true, 1024};
    const MatchResult matched =
        n == 0 ? MatchResult{}
        : options_.cuda_device >= 0
            ? cuda_match_orientations(images.data(), n, slices.data(), r, p, how, options_.cuda_device)
            : match_orientations(images.data(), n, slices.data(), r, p, how, pool_);
    pool_.parallel_for(n, [&](std::size_t i, unsigned) {
      const float* x = images.data() + i * p;
      const float* y = slices.data() + static_cast<std::size_t>(matched.best[i]) * p;
      double xy = 0, yy = 0;
      for (std::size_t k = 0; k < p; ++k) xy += static_cast<double>(x[k]) * y[k], yy += static_cast<double>(y[k]) * y[k];
      const geometry::Quaternion next = references[matched.best[i]];
      double* out = mine.data() + i * kFields;
      std::copy(next.begin(), next.end(), out);
      out[4] = yy > 0 ? std::max(0.0, xy / yy) : 0.0;
      out[5] = geometry::rotation_distance(state.orientations[first + i], next);
      out[6] = matched.distance[i];
    });
    record.match_seconds = seconds_since(t);
    record.gemm_seconds = matched.gemm_seconds;
  });
  const std::vector<double> all = world_.all_gather(mine);
  if (all.size() != total_ * kFields) throw Error("the ranks' images do not add up to the data set");
  std::vector<double> change(total_), distance(total_);
  for (std::size_t i = 0; i < total_; ++i) {
    const double* in = all.data() + i * kFields;
    std::copy(in, in + 4, state.orientations[i].begin());
    state.scales[i] = in[4];
    change[i] = in[5];
    distance[i] = in[6];
  }
  double sum = 0;
  for (double d : distance) sum += d;
  record.distance_mean = sum / static_cast<double>(total_);
  record.distance_median = median(distance);
  record.orientation_change = median(change);
}

void Mtip::merge_and_phase(MtipState& state, GenerationRecord& record) {
  const std::size_t n = data_.n_images, p = data_.pixels, m = options_.grid, m3 = m * m * m;
  auto t = std::chrono::steady_clock::now();
  Merger merger(m, options_.eps, pool_.size());
  runtime::run_phase(world_, [&] {
    const std::size_t per_batch = std::max<std::size_t>(1, kMergePointsPerBatch / p);
    std::vector<double> x, y, z, values;
    for (std::size_t first = 0; first < n; first += per_batch) {
      const std::size_t count = std::min(per_batch, n - first);
      x.clear(), y.clear(), z.clear(), values.clear();
      for (std::size_t i = first; i < first + count; ++i) {
        const std::size_t image = data_.first_image + i;
        const double s = state.scales[image];
        if (!(s > 0)) continue;  // an image the model cannot explain (blank) carries no intensity
        const geometry::Mat3 rt = geometry::transpose(geometry::rotation_matrix(state.orientations[image]));
        for (std::size_t k = 0; k < p; ++k) {
          const double c = data_.pixel_factor[k];
          if (!(c > 0)) continue;
          const double* q = data_.q + 3 * k;
          const geometry::Vec3 molecule = geometry::mul(rt, geometry::Vec3{q[0], q[1], q[2]});
          x.push_back(molecule[0] * voxel_);
          y.push_back(molecule[1] * voxel_);
          z.push_back(molecule[2] * voxel_);
          values.push_back(data_.images[i * p + k] / (s * c));
        }
      }
      merger.add(values.size(), x.data(), y.data(), z.data(), values.data());
    }
  });
  merger.sum_to_root(world_);
  // Rank 0 merges and phases; the model then goes to every rank.
  state.autocorrelation.resize(m3), state.density.resize(m3), state.support.resize(m3);
  runtime::run_phase(world_, [&] {
    if (!world_.is_root()) return;
    const bool first_model = state.history.empty();
    MergeResult merged = merger.solve(state.autocorrelation, options_.merge);
    const MergeCandidate& chosen = merged.candidates[merged.chosen];
    record.lambda = chosen.lambda;
    record.merge_residual = chosen.residual;
    record.cg_iterations = chosen.iterations;
    record.merge_seconds = seconds_since(t);

    t = std::chrono::steady_clock::now();
    const std::vector<std::complex<double>> intensity = reciprocal_from_real_space(
        std::vector<std::complex<double>>(chosen.autocorrelation.begin(), chosen.autocorrelation.end()), m,
        pool_.size());
    std::vector<double> amplitude(m3);
    for (std::size_t k = 0; k < m3; ++k) amplitude[k] = std::sqrt(std::max(0.0, intensity[k].real()));
    if (first_model) {
      state.support = autocorrelation_support(chosen.autocorrelation, options_.support_fraction);
      state.density = random_density(state.support, sim::Xoshiro256(options_.seed, 0x5EED));
    }
    PhasingResult phased = phase(amplitude, m, state.density, state.support, schedule_, options_.phase);
    for (int start = 1; start < options_.phasing_starts; ++start) {
      const sim::Xoshiro256 random(generation_seed(options_.seed, state.generations_done),
                                   static_cast<std::uint64_t>(start));
      PhasingResult other =
          phase(amplitude, m, random_density(state.support, random), state.support, schedule_, options_.phase);
      if (other.fourier_error < phased.fourier_error) phased = std::move(other);
    }
    state.density = std::move(phased.density);
    state.support = std::move(phased.support);
    state.autocorrelation = autocorrelation_of(state.density, m, pool_.size());
    record.support = phased.support_size;
    record.fourier_error = phased.fourier_error;
    record.phase_seconds = seconds_since(t);
  });
  world_.broadcast_values(std::span<double>(state.autocorrelation));
  world_.broadcast_values(std::span<double>(state.density));
  world_.broadcast_values(std::span<std::uint8_t>(state.support));
  world_.broadcast_values(std::span<GenerationRecord>(&record, 1));
}

}  // namespace xpulse::spi
