#include "sfx/scaled_merge.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <unordered_map>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "core/error.h"
#include "runtime/thread_pool.h"

namespace xpulse::sfx {
namespace {

using runtime::Blocks;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kTermsPerBin = 4096;  // deviations a bin of the error model's fit needs at most
constexpr double kLargestSigma = 1e100;     // larger (or not finite): the observation cannot be weighted

// A key that orders asymmetric-unit indices by h, k, l (offset to 21 bits each), then the Friedel flag.
std::uint64_t packed(const AsuIndex& x) {
  const auto field = [](int v) { return static_cast<std::uint64_t>(v + (1 << 20)); };
  return field(x.hkl[0]) << 43 | field(x.hkl[1]) << 22 | field(x.hkl[2]) << 1 | (x.minus ? 1u : 0u);
}

AsuIndex unpacked(std::uint64_t key) {
  const auto field = [&](int shift) { return static_cast<int>((key >> shift) & ((1u << 21) - 1)) - (1 << 20); };
  return {{field(43), field(22), field(1)}, (key & 1u) != 0};
}

// exp(-B / (2 d^2)) = exp(-2 B (sin theta / lambda)^2).
double b_factor(double b, double d) { return std::exp(-b / (2 * d * d)); }

// An observation corrected by its crystal's parameters, sent to the rank that merges its reflection.
struct Contribution {
  std::uint32_t group = 0;  // the reflection (global index)
  std::uint8_t half = 0;
  double value = 0;         // I / (G e P p)
  double sigma = 0;         // counting sigma, in the same units
  double d = 0;
};

// The crystal side: this rank's crystals and all their observations, sorted by crystal. Scaling and
// post-refinement of a crystal touch only its own observations and scale; crystals holds every crystal (those
// of other ranks as last gathered).
struct CrystalSide {
  std::vector<Observation>& obs;
  const std::vector<std::size_t>& group_of;  // per observation: its reflection
  const MergeOptions& options;
  std::vector<CrystalScale>& crystals;
  const ErrorModel& model;
  runtime::ThreadPool& pool;
  std::size_t first_crystal = 0, end_crystal = 0;  // this rank's
  std::vector<double> peak;  // per crystal: its largest partiality (the cut is relative to it)

  bool partial() const { return options.model != PartialityModel::unity; }
  bool usable(const Observation& o) const {
    return (!partial() || o.partiality >= options.min_partiality * peak[o.crystal]) && o.partiality > 0;
  }
  void update_peaks() {
    peak.assign(crystals.size(), 0.0);
    for (const Observation& o : obs) peak[o.crystal] = std::max(peak[o.crystal], o.partiality);
  }
  bool used(const Observation& o) const { return !crystals[o.crystal].rejected && usable(o); }
  // The observation's correction factor G e P p.
  double factor(const Observation& o) const {
    return factor_without_partiality(o) * (partial() ? o.partiality : 1.0);
  }
  double factor_without_partiality(const Observation& o) const {
    const CrystalScale& c = crystals[o.crystal];
    return c.g * b_factor(c.b, o.d) * o.polarization;
  }
  // Its sigma under the error model, in the units of the merge (corrected), given the merged value.
  double sigma(const Observation& o, double merged) const {
    return error_model_sigma(model, o.sigma / factor(o), merged);
  }

  // The used observations, corrected, by the rank that merges their reflection.
  std::vector<std::vector<Contribution>> contributions(const Blocks& groups) const {
    std::vector<std::vector<Contribution>> out(static_cast<std::size_t>(groups.ranks));
    if (groups.ranks == 1) out[0].reserve(obs.size());
    for (std::size_t i = 0; i < obs.size(); ++i) {
      const Observation& o = obs[i];
      if (!used(o)) continue;
      const double f = factor(o), v = o.intensity / f, s = o.sigma / f;
      if (!std::isfinite(v) || !(s > 0) || !(s < kLargestSigma)) continue;
      out[static_cast<std::size_t>(groups.owner(group_of[i]))].push_back(
          {static_cast<std::uint32_t>(group_of[i]), o.half, v, s, o.d});
    }
    return out;
  }

  // This rank's crystals' observations that take part in fitting (an intensity to fit to), by crystal.
  std::vector<std::vector<std::size_t>> members(const std::vector<MergedReflection>& merged, bool only_usable) const {
    std::vector<std::vector<std::size_t>> out(end_crystal - first_crystal);
    for (std::size_t i = 0; i < obs.size(); ++i) {
      if (std::isfinite(merged[group_of[i]].intensity) && (!only_usable || usable(obs[i]))) {
        out[obs[i].crystal - first_crystal].push_back(i);
      }
    }
    return out;
  }

  // G (and B) of this rank's crystals against the merge.
  void scale(const std::vector<MergedReflection>& merged) {
    const auto all = members(merged, true);
    pool.parallel_for(all.size(), [&](std::size_t k, unsigned) {
      CrystalScale& cs = crystals[first_crystal + k];
      if (all[k].size() < options.min_observations_per_crystal) {
        cs.rejected = true;
        return;
      }
      fit_crystal(cs, all[k], merged);
    });
  }

  // Weighted least squares of I against G exp(-B / 2d^2) p I_h: G in closed form, or Gauss-Newton on (G, B).
  void fit_crystal(CrystalScale& cs, const std::vector<std::size_t>& members,
                   const std::vector<MergedReflection>& merged) const {
    const auto model_of = [&](const Observation& o, std::size_t i) {
      return merged[group_of[i]].intensity * o.polarization * (partial() ? o.partiality : 1.0);
    };
    const auto weight = [&](const Observation& o, std::size_t i) {
      // The error model's sigma in the observation's own units.
      const double s = sigma(o, merged[group_of[i]].intensity) * factor(o);
      return 1 / (s * s);
    };
    if (options.scale == ScaleModel::linear) {
      double num = 0, den = 0;
      for (std::size_t i : members) {
        const Observation& o = obs[i];
        const double m = model_of(o, i), w = weight(o, i);
        num += w * o.intensity * m, den += w * m * m;
      }
      cs.g = num / den, cs.b = 0;
    } else {
      double g = cs.g, b = cs.b;
      for (int it = 0; it < 8; ++it) {
        Eigen::Matrix2d jtj = Eigen::Matrix2d::Zero();
        Eigen::Vector2d jtr = Eigen::Vector2d::Zero();
        for (std::size_t i : members) {
          const Observation& o = obs[i];
          const double x = 1 / (2 * o.d * o.d), e = std::exp(-b * x), m = model_of(o, i), w = weight(o, i);
          const Eigen::Vector2d j{e * m, -x * g * e * m};
          jtj += w * j * j.transpose(), jtr += w * j * (o.intensity - g * e * m);
        }
        jtj.diagonal() *= 1.0 + 1e-9;
        const Eigen::Vector2d step = jtj.ldlt().solve(jtr);
        if (!step.allFinite()) break;
        g += step[0], b = std::clamp(b + step[1], -100.0, 300.0);
        if (std::abs(step[0]) < 1e-6 * std::abs(g) && std::abs(step[1]) < 1e-4) break;
      }
      cs.g = g, cs.b = b;
    }
    if (!(cs.g > 0) || !std::isfinite(cs.g) || !std::isfinite(cs.b)) cs.rejected = true, cs.g = 1, cs.b = 0;
  }

  // This rank's crystals post-refined against the merge (sfx/post_refinement.h), their partialities recomputed.
  void post_refine(const std::vector<MergedReflection>& merged) {
    const auto all = members(merged, false);
    const PostRefinementOptions what{options.scale != ScaleModel::none, options.scale == ScaleModel::linear_b, true};
    pool.parallel_for(all.size(), [&](std::size_t k, unsigned) {
      CrystalScale& cs = crystals[first_crystal + k];
      if (cs.rejected) return;
      if (all[k].size() < options.min_observations_per_crystal) {
        cs.rejected = true;
        return;
      }
      std::vector<PostRefinementTerm> terms;
      for (std::size_t i : all[k]) {
        const Observation& o = obs[i];
        const double ih = merged[group_of[i]].intensity;
        terms.push_back({o.hkl, o.intensity, sigma(o, ih) * factor_without_partiality(o) * std::max(o.partiality, 1e-3),
                         ih, o.d, o.polarization});
      }
      CrystalModel start = cs.model;
      start.g = cs.g, start.b = cs.b;
      const CrystalModel refined = sfx::post_refine(start, terms, options.model, what, nullptr, &cs.residual);
      cs.model = refined, cs.g = refined.g, cs.b = refined.b;
      if (!(cs.g > 0) || !std::isfinite(cs.g)) {
        cs.rejected = true;
        return;
      }
      for (std::size_t i : all[k]) obs[i].partiality = model_partiality(refined, obs[i].hkl, options.model);
    });
    update_peaks();
  }

  // Each of this rank's crystals' merged observation count and the correlation of its corrected observations
  // with the merge, from running sums.
  void correlations(const std::vector<MergedReflection>& merged) {
    struct Pairs {
      double n = 0, x = 0, y = 0, xx = 0, yy = 0, xy = 0;
    };
    std::vector<Pairs> pairs(end_crystal - first_crystal);
    for (std::size_t i = 0; i < obs.size(); ++i) {
      const Observation& o = obs[i];
      const double y = merged[group_of[i]].intensity;
      if (!used(o) || !std::isfinite(y)) continue;
      const double x = o.intensity / factor(o);
      Pairs& p = pairs[o.crystal - first_crystal];
      p.n += 1, p.x += x, p.y += y, p.xx += x * x, p.yy += y * y, p.xy += x * y;
    }
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      const Pairs& p = pairs[k];
      CrystalScale& c = crystals[first_crystal + k];
      c.observations = static_cast<std::size_t>(p.n);
      const double sxx = p.xx - p.x * p.x / p.n, syy = p.yy - p.y * p.y / p.n, sxy = p.xy - p.x * p.y / p.n;
      c.cc = p.n >= 2 && sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : kNaN;
    }
  }
};

// An error-model term at its place among all observations.
struct PlacedTerm {
  std::uint64_t at = 0;
  ErrorModelTerm term;
};

// The reflection side: the contributions to this rank's block of reflections, grouped by reflection in crystal
// order (the order they arrive in: crystals are in rank-ordered blocks, each sorted).
struct ReflectionSide {
  std::size_t first_group = 0;
  std::vector<std::uint64_t>* keys = nullptr;  // every reflection's
  std::vector<std::size_t> starts;             // owned reflection k: items [starts[k], starts[k + 1])
  std::vector<Contribution> items;

  void receive(std::vector<Contribution> arrived, std::size_t owned) {
    starts.assign(owned + 1, 0);
    for (const Contribution& c : arrived) ++starts[c.group - first_group + 1];
    for (std::size_t k = 0; k < owned; ++k) starts[k + 1] += starts[k];
    items.resize(arrived.size());
    std::vector<std::size_t> next(starts.begin(), starts.end() - 1);
    for (const Contribution& c : arrived) items[next[c.group - first_group]++] = c;
  }

  // Weighted means of this rank's reflections, of their two halves, and the spread of their contributions;
  // prior: the last merge (empty: weights from the counting sigmas alone).
  std::vector<MergedReflection> merge(const std::vector<MergedReflection>& prior, const ErrorModel& model) const {
    std::vector<MergedReflection> out(starts.size() - 1);
    for (std::size_t k = 0; k + 1 < starts.size(); ++k) {
      const std::size_t g = first_group + k;
      double sw = 0, swv = 0, h_sw[2] = {0, 0}, h_swv[2] = {0, 0}, sv = 0, svv = 0;
      std::size_t n = 0;
      for (std::size_t i = starts[k]; i < starts[k + 1]; ++i) {
        const Contribution& c = items[i];
        const double s = prior.empty() ? c.sigma : error_model_sigma(model, c.sigma, prior[g].intensity);
        const double w = 1 / (s * s), v = c.value;
        sw += w, swv += w * v, h_sw[c.half] += w, h_swv[c.half] += w * v, sv += v, svv += v * v, ++n;
      }
      MergedReflection& r = out[k];
      r.index = unpacked((*keys)[g]), r.d = n ? items[starts[k]].d : kNaN, r.observations = n;
      r.intensity = n ? swv / sw : kNaN;
      r.sigma = n ? 1 / std::sqrt(sw) : kNaN;
      r.half1 = h_sw[0] > 0 ? h_swv[0] / h_sw[0] : kNaN;
      r.half2 = h_sw[1] > 0 ? h_swv[1] / h_sw[1] : kNaN;
      const double mean = n ? sv / static_cast<double>(n) : 0;
      r.error_variance = n >= 2 ? std::max(0.0, svv - static_cast<double>(n) * mean * mean) /
                                      (static_cast<double>(n - 1) * static_cast<double>(n))
                                : kNaN;
    }
    return out;
  }

  // The error model's terms of this rank's reflections: every observation's deviation from the others of its
  // reflection (weighted as the merge weights them now), each at its place in the order of all observations
  // by their reflection's merged intensity (position[g]: where reflection g's first one lies; total: how many);
  // every stride-th is kept (the same choice for any rank count).
  std::vector<PlacedTerm> error_terms(const std::vector<MergedReflection>& merged, const ErrorModel& model,
                                      const std::vector<std::uint64_t>& position, std::uint64_t total,
                                      std::uint64_t stride) const {
    std::vector<PlacedTerm> out;
    for (std::size_t k = 0; k + 1 < starts.size(); ++k) {
      const std::size_t g = first_group + k;
      if (position[g] == std::numeric_limits<std::uint64_t>::max()) continue;
      const double ih = merged[g].intensity;
      double sw = 0, swv = 0;
      for (std::size_t i = starts[k]; i < starts[k + 1]; ++i) {
        const double s = error_model_sigma(model, items[i].sigma, ih), w = 1 / (s * s);
        sw += w, swv += w * items[i].value;
      }
      for (std::size_t i = starts[k]; i < starts[k + 1]; ++i) {
        const std::uint64_t at = position[g] + (i - starts[k]);
        if (at % stride != 0) continue;
        const Contribution& c = items[i];
        const double s = error_model_sigma(model, c.sigma, ih), w = 1 / (s * s);
        const double rest = sw - w;
        if (!(rest > 1e-12 * sw)) continue;
        const double others = (swv - w * c.value) / rest;
        ErrorModelTerm t{(c.value - others) * (c.value - others), c.sigma * c.sigma, std::max(ih, 0.0), 1 / rest,
                         static_cast<std::uint32_t>(at * kErrorModelBins / total)};
        out.push_back({at, t});
      }
    }
    return out;
  }
};

// Where each reflection's observations start in the order of all observations by merged intensity (reflections
// with at least two, ties by index; others: the largest value), and how many there are.
std::uint64_t error_model_positions(const std::vector<MergedReflection>& merged, std::vector<std::uint64_t>& position) {
  std::vector<std::size_t> groups;
  for (std::size_t g = 0; g < merged.size(); ++g) {
    if (merged[g].observations >= 2 && std::isfinite(merged[g].intensity)) groups.push_back(g);
  }
  std::sort(groups.begin(), groups.end(), [&](std::size_t a, std::size_t b) {
    return merged[a].intensity < merged[b].intensity || (merged[a].intensity == merged[b].intensity && a < b);
  });
  position.assign(merged.size(), std::numeric_limits<std::uint64_t>::max());
  std::uint64_t total = 0;
  for (std::size_t g : groups) position[g] = total, total += merged[g].observations;
  return total;
}

// The steps of a distributed merge that talk between ranks.
struct Distributed {
  runtime::World& world;
  Blocks group_blocks;
  CrystalSide& crystals;
  ReflectionSide& reflections;

  // The contributions of every rank's crystals moved to the ranks of their reflections.
  void send_contributions() {
    const int r = world.rank();
    reflections.receive(world.exchange(crystals.contributions(group_blocks)),
                        group_blocks.first(r + 1) - group_blocks.first(r));
  }
  std::vector<MergedReflection> merge(const std::vector<MergedReflection>& prior) {
    const std::vector<MergedReflection> mine = reflections.merge(prior, crystals.model);
    return world.all_gather_values(std::span<const MergedReflection>(mine));
  }
  // Every rank's crystals as its rank last fitted them.
  void gather_crystals() {
    const std::span<const CrystalScale> mine(crystals.crystals.data() + crystals.first_crystal,
                                             crystals.end_crystal - crystals.first_crystal);
    crystals.crystals = world.all_gather_values(mine);
  }
  ErrorModel fit_error_model(const std::vector<MergedReflection>& merged) {
    std::vector<std::uint64_t> position;
    const std::uint64_t total = error_model_positions(merged, position);
    if (total < 10 * kErrorModelBins) return crystals.model;
    const std::uint64_t stride = std::max<std::uint64_t>(1, total / (kErrorModelBins * kTermsPerBin));
    const auto mine = reflections.error_terms(merged, crystals.model, position, total, stride);
    auto all = world.all_gather_values(std::span<const PlacedTerm>(mine));
    std::sort(all.begin(), all.end(), [](const PlacedTerm& a, const PlacedTerm& b) { return a.at < b.at; });
    std::vector<ErrorModelTerm> terms;
    terms.reserve(all.size());
    for (const PlacedTerm& t : all) terms.push_back(t.term);
    return sfx::fit_error_model(terms, crystals.model);
  }
};

// Scales normalised to a median G of 1 over the crystals not rejected.
void normalise_scales(std::vector<CrystalScale>& crystals) {
  std::vector<double> gs;
  for (const CrystalScale& c : crystals) {
    if (!c.rejected) gs.push_back(c.g);
  }
  if (gs.empty()) return;
  std::nth_element(gs.begin(), gs.begin() + static_cast<std::ptrdiff_t>(gs.size() / 2), gs.end());
  const double median = gs[gs.size() / 2];
  for (CrystalScale& c : crystals) c.g /= median, c.model.g = c.g;
}

// Crystals whose post-refinement residual exceeds `factor` times the median crystal's are rejected (a crystal
// the model cannot describe: misindexed, split, or another cell).
void reject_by_residual(std::vector<CrystalScale>& crystals, double factor) {
  std::vector<double> residuals;
  for (const CrystalScale& cs : crystals) {
    if (!cs.rejected) residuals.push_back(cs.residual);
  }
  if (residuals.empty()) return;
  std::nth_element(residuals.begin(), residuals.begin() + static_cast<std::ptrdiff_t>(residuals.size() / 2),
                   residuals.end());
  const double limit = factor * residuals[residuals.size() / 2];
  for (CrystalScale& cs : crystals) cs.rejected = cs.rejected || cs.residual > limit;
}

// The reference on the current merge's scale (least squares over the reflections both have), so that the
// crystals' G stay near 1 and do not trade against their profile widths.
std::vector<MergedReflection> scaled_reference(const std::vector<MergedReflection>& merged,
                                               const std::vector<double>& reference_of) {
  double num = 0, den = 0;
  for (std::size_t g = 0; g < merged.size(); ++g) {
    if (std::isfinite(merged[g].intensity) && std::isfinite(reference_of[g])) {
      num += merged[g].intensity * reference_of[g], den += reference_of[g] * reference_of[g];
    }
  }
  if (!(den > 0) || !(num > 0)) throw InvalidArgument("the reference shares no reflection with the data");
  std::vector<MergedReflection> t = merged;
  for (std::size_t g = 0; g < t.size(); ++g) t[g].intensity = num / den * reference_of[g];
  return t;
}

// The reference's intensity of every reflection (NaN where it has none).
std::vector<double> reference_by_group(const ReferenceIntensities& reference, const std::vector<std::uint64_t>& keys) {
  std::vector<double> out(keys.size(), kNaN);
  if (reference.empty()) return out;
  std::unordered_map<std::uint64_t, double> by_key;
  for (const auto& [index, value] : reference) by_key.emplace(packed(index), value);
  for (std::size_t g = 0; g < keys.size(); ++g) {
    const auto it = by_key.find(keys[g]);
    if (it != by_key.end()) out[g] = it->second;
  }
  return out;
}

void check_observations(const std::vector<Observation>& observations, std::size_t crystals) {
  for (const Observation& o : observations) {
    for (int v : o.index.hkl) {
      if (std::abs(v) >= (1 << 20)) throw InvalidArgument(fmt::format("Miller index {} is out of range", v));
    }
    if (o.crystal >= crystals) throw InvalidArgument("an observation names a crystal beyond the count");
  }
}

// The observations moved to the ranks of their crystals and sorted there by crystal, then by content (an order
// that does not depend on where they came from).
std::vector<Observation> by_crystal(runtime::World& world, std::vector<Observation> observations,
                                    const Blocks& crystal_blocks) {
  if (world.distributed()) {
    std::vector<std::vector<Observation>> to(static_cast<std::size_t>(world.size()));
    for (const Observation& o : observations) to[static_cast<std::size_t>(crystal_blocks.owner(o.crystal))].push_back(o);
    observations.clear();
    observations = world.exchange(std::move(to));
  }
  const auto key = [](const Observation& o) {
    const auto bits = [](double x) { return std::bit_cast<std::uint64_t>(x); };
    return std::make_tuple(o.crystal, packed(o.index), o.hkl, bits(o.d), bits(o.intensity), bits(o.sigma),
                           bits(o.polarization), bits(o.partiality), o.half);
  };
  std::sort(observations.begin(), observations.end(),
            [&](const Observation& a, const Observation& b) { return key(a) < key(b); });
  return observations;
}

// Every reflection's key, sorted, from every rank's observations.
std::vector<std::uint64_t> all_keys(runtime::World& world, const std::vector<Observation>& observations) {
  std::vector<std::uint64_t> mine;
  mine.reserve(observations.size());
  for (const Observation& o : observations) mine.push_back(packed(o.index));
  std::sort(mine.begin(), mine.end());
  mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
  std::vector<std::uint64_t> keys = world.all_gather_values(std::span<const std::uint64_t>(mine));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  if (keys.size() >= std::numeric_limits<std::uint32_t>::max()) throw InvalidArgument("too many unique reflections");
  return keys;
}

}  // namespace

ScaleModel parse_scale_model(const std::string& name) {
  if (name == "none") return ScaleModel::none;
  if (name == "linear") return ScaleModel::linear;
  if (name == "linear-b") return ScaleModel::linear_b;
  throw InvalidArgument(fmt::format("--scale must be linear, linear-b or none; got '{}'", name));
}

void MergeOptions::validate() const {
  if (cycles > 100) throw InvalidArgument(fmt::format("--iterations must lie in 0..100, got {}", cycles));
  if (!(min_partiality >= 0 && min_partiality < 1)) {
    throw InvalidArgument(fmt::format("the smallest partiality merged must lie in [0, 1), got {}", min_partiality));
  }
}

MergeResult scale_and_merge(std::vector<Observation> observations, std::size_t crystals, const MergeOptions& options,
                            const std::vector<CrystalModel>& models, const ReferenceIntensities& reference,
                            runtime::World* world_given) {
  options.validate();
  if (!models.empty() && models.size() != crystals) throw InvalidArgument("scale_and_merge: one model per crystal");
  runtime::World alone;
  runtime::World& world = world_given ? *world_given : alone;
  runtime::run_phase(world, [&] { check_observations(observations, crystals); });
  std::uint64_t count[1] = {observations.size()};
  world.sum_all(count);
  if (count[0] == 0) throw InvalidArgument("there are no observations to merge");

  const Blocks crystal_blocks{crystals, world.size()};
  observations = by_crystal(world, std::move(observations), crystal_blocks);
  std::vector<std::uint64_t> keys = all_keys(world, observations);
  const Blocks group_blocks{keys.size(), world.size()};
  std::vector<std::size_t> group_of(observations.size());
  for (std::size_t i = 0; i < observations.size(); ++i) {
    group_of[i] = static_cast<std::size_t>(std::lower_bound(keys.begin(), keys.end(), packed(observations[i].index)) -
                                           keys.begin());
  }

  MergeResult result;
  result.crystals.assign(crystals, CrystalScale{});
  for (std::size_t c = 0; c < models.size(); ++c) result.crystals[c].model = models[c];
  const bool post_refinement = !models.empty() && options.model != PartialityModel::unity;
  if (post_refinement) {
    for (Observation& o : observations) o.partiality = model_partiality(models[o.crystal], o.hkl, options.model);
  }
  runtime::ThreadPool pool(options.threads);
  CrystalSide side{observations, group_of, options, result.crystals, result.error_model, pool,
                   crystal_blocks.first(world.rank()), crystal_blocks.first(world.rank() + 1), {}};
  side.update_peaks();
  ReflectionSide reflections;
  reflections.first_group = group_blocks.first(world.rank()), reflections.keys = &keys;
  Distributed d{world, group_blocks, side, reflections};

  const std::vector<double> reference_of = reference_by_group(reference, keys);
  const auto target = [&](const std::vector<MergedReflection>& merged) {
    return reference.empty() ? merged : scaled_reference(merged, reference_of);
  };
  d.send_contributions();
  std::vector<MergedReflection> merged = d.merge({});
  for (std::size_t cycle = 0; cycle < options.cycles; ++cycle) {
    if (post_refinement || options.scale != ScaleModel::none) {
      if (post_refinement) {
        side.post_refine(target(merged));
      } else {
        side.scale(target(merged));
      }
      d.gather_crystals();
      if (post_refinement) reject_by_residual(result.crystals, options.reject_residual);
      normalise_scales(result.crystals);
      d.send_contributions();
      merged = d.merge(merged);
    }
    if (options.error_model) result.error_model = d.fit_error_model(merged), merged = d.merge(merged);
  }
  side.correlations(merged);
  d.gather_crystals();
  for (const MergedReflection& r : merged) {
    if (r.observations > 0) result.reflections.push_back(r);
  }
  if (result.reflections.empty()) throw InvalidArgument("no observation could be merged");
  return result;
}

std::vector<ReflectionSummary> summaries(const MergeResult& result) {
  std::vector<ReflectionSummary> out;
  out.reserve(result.reflections.size());
  for (const MergedReflection& r : result.reflections) {
    out.push_back({r.d, r.intensity, r.sigma, r.observations, r.half1, r.half2, r.error_variance});
  }
  return out;
}

}  // namespace xpulse::sfx
