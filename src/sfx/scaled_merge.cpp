#include "sfx/scaled_merge.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "core/error.h"
#include "runtime/thread_pool.h"

namespace xpulse::sfx {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kErrorBins = 16;  // intensity bins of the error model's fit
constexpr std::size_t kTermsPerBin = 4096;

// A key that orders asymmetric-unit indices by h, k, l (offset to 21 bits each), then the Friedel flag.
std::uint64_t packed(const AsuIndex& x) {
  const auto field = [](int v) { return static_cast<std::uint64_t>(v + (1 << 20)); };
  return field(x.hkl[0]) << 43 | field(x.hkl[1]) << 22 | field(x.hkl[2]) << 1 | (x.minus ? 1u : 0u);
}

// exp(-B / (2 d^2)) = exp(-2 B (sin theta / lambda)^2).
double b_factor(double b, double d) { return std::exp(-b / (2 * d * d)); }

struct Merger {
  std::vector<Observation>& obs;
  const std::vector<std::size_t>& starts;  // group g: obs [starts[g], starts[g + 1])
  const MergeOptions& options;
  std::vector<CrystalScale>& crystals;
  ErrorModel& model;

  bool partial() const { return options.model != PartialityModel::unity; }
  runtime::ThreadPool& pool;
  std::vector<double> peak;  // per crystal: its largest partiality (the cut is relative to it)

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
    const CrystalScale& c = crystals[o.crystal];
    return c.g * b_factor(c.b, o.d) * o.polarization * (partial() ? o.partiality : 1.0);
  }
  // Its sigma under the error model, in the units of the merge (corrected), given the merged value.
  double sigma(const Observation& o, double merged) const {
    const double f = factor(o), s = o.sigma / f, m = std::max(merged, 0.0);
    const double v = model.sd_fac * model.sd_fac * (s * s + model.sd_b * m + model.sd_add * model.sd_add * m * m);
    return std::sqrt(std::max(v, 1e-30));
  }

  // Weighted means of every group, of its two halves, and the spread of its corrected observations.
  std::vector<MergedReflection> merge(const std::vector<MergedReflection>& previous) const {
    std::vector<MergedReflection> out;
    out.reserve(starts.size() - 1);
    for (std::size_t g = 0; g + 1 < starts.size(); ++g) {
      const double prior = previous.empty() ? 0.0 : previous[g].intensity;
      double sw = 0, swv = 0, h_sw[2] = {0, 0}, h_swv[2] = {0, 0}, sv = 0, svv = 0;
      std::size_t n = 0;
      for (std::size_t i = starts[g]; i < starts[g + 1]; ++i) {
        const Observation& o = obs[i];
        if (!used(o)) continue;
        const double v = o.intensity / factor(o), s = previous.empty() ? o.sigma / factor(o) : sigma(o, prior);
        const double w = 1 / (s * s);
        if (!(w > 0) || !std::isfinite(w) || !std::isfinite(v)) continue;
        sw += w, swv += w * v, h_sw[o.half] += w, h_swv[o.half] += w * v, sv += v, svv += v * v, ++n;
      }
      MergedReflection r;
      r.index = obs[starts[g]].index, r.d = obs[starts[g]].d, r.observations = n;
      r.intensity = n ? swv / sw : kNaN;
      r.sigma = n ? 1 / std::sqrt(sw) : kNaN;
      r.half1 = h_sw[0] > 0 ? h_swv[0] / h_sw[0] : kNaN;
      r.half2 = h_sw[1] > 0 ? h_swv[1] / h_sw[1] : kNaN;
      const double mean = n ? sv / static_cast<double>(n) : 0;
      r.error_variance = n >= 2 ? std::max(0.0, svv - static_cast<double>(n) * mean * mean) /
                                      (static_cast<double>(n - 1) * static_cast<double>(n))
                                : kNaN;
      out.push_back(r);
    }
    return out;
  }

  // G (and B) of every crystal against the merge, then normalised to a median G of 1.
  void scale(const std::vector<MergedReflection>& merged, const std::vector<std::size_t>& group_of) {
    const std::size_t nc = crystals.size();
    std::vector<std::vector<std::size_t>> members(nc);
    for (std::size_t i = 0; i < obs.size(); ++i) {
      const double ih = merged[group_of[i]].intensity;
      const Observation& o = obs[i];
      if (std::isfinite(ih) && usable(o)) {
        members[o.crystal].push_back(i);
      }
    }
    pool.parallel_for(nc, [&](std::size_t c, unsigned) {
      CrystalScale& cs = crystals[c];
      if (members[c].size() < options.min_observations_per_crystal) {
        cs.rejected = true;
        return;
      }
      fit_crystal(cs, members[c], merged, group_of);
    });
    normalise_scales();
  }

  // Weighted least squares of I against G exp(-B / 2d^2) p I_h: G in closed form, or Gauss-Newton on (G, B).
  void fit_crystal(CrystalScale& cs, const std::vector<std::size_t>& members,
                   const std::vector<MergedReflection>& merged, const std::vector<std::size_t>& group_of) const {
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

  // Every crystal post-refined against the merge (sfx/post_refinement.h), its partialities recomputed; crystals
  // the model cannot describe rejected; G normalised to a median of 1.
  void post_refine_all(const std::vector<MergedReflection>& merged, const std::vector<std::size_t>& group_of) {
    const std::size_t nc = crystals.size();
    std::vector<std::vector<std::size_t>> members(nc);
    for (std::size_t i = 0; i < obs.size(); ++i) {
      if (std::isfinite(merged[group_of[i]].intensity)) members[obs[i].crystal].push_back(i);
    }
    const PostRefinementOptions what{options.scale != ScaleModel::none, options.scale == ScaleModel::linear_b, true};
    // Each crystal touches only its own observations and scale: in parallel, the same bits for any thread count.
    pool.parallel_for(nc, [&](std::size_t c, unsigned) {
      CrystalScale& cs = crystals[c];
      if (cs.rejected) return;
      if (members[c].size() < options.min_observations_per_crystal) {
        cs.rejected = true;
        return;
      }
      std::vector<PostRefinementTerm> terms;
      for (std::size_t i : members[c]) {
        const Observation& o = obs[i];
        const double ih = merged[group_of[i]].intensity;
        terms.push_back({o.hkl, o.intensity, sigma(o, ih) * factor_without_partiality(o) * std::max(o.partiality, 1e-3),
                         ih, o.d, o.polarization});
      }
      CrystalModel start = cs.model;
      start.g = cs.g, start.b = cs.b;
      const CrystalModel refined = post_refine(start, terms, options.model, what, nullptr, &cs.residual);
      cs.model = refined, cs.g = refined.g, cs.b = refined.b;
      if (!(cs.g > 0) || !std::isfinite(cs.g)) {
        cs.rejected = true;
        return;
      }
      for (std::size_t i : members[c]) obs[i].partiality = model_partiality(refined, obs[i].hkl, options.model);
    });
    update_peaks();
    std::vector<double> residuals;
    for (const CrystalScale& cs : crystals) {
      if (!cs.rejected) residuals.push_back(cs.residual);
    }
    if (!residuals.empty()) {
      std::nth_element(residuals.begin(), residuals.begin() + static_cast<std::ptrdiff_t>(residuals.size() / 2),
                       residuals.end());
      const double limit = options.reject_residual * residuals[residuals.size() / 2];
      for (CrystalScale& cs : crystals) cs.rejected = cs.rejected || cs.residual > limit;
    }
    normalise_scales();
  }

  double factor_without_partiality(const Observation& o) const {
    const CrystalScale& c = crystals[o.crystal];
    return c.g * b_factor(c.b, o.d) * o.polarization;
  }

  void normalise_scales() {
    std::vector<double> gs;
    for (const CrystalScale& c : crystals) {
      if (!c.rejected) gs.push_back(c.g);
    }
    if (gs.empty()) return;
    std::nth_element(gs.begin(), gs.begin() + static_cast<std::ptrdiff_t>(gs.size() / 2), gs.end());
    const double median = gs[gs.size() / 2];
    for (CrystalScale& c : crystals) c.g /= median, c.model.g = c.g;
  }

  // The ev11 parameters that bring the variance of the normalised deviations to 1 in every bin of merged
  // intensity: Levenberg-Marquardt on ln(mean delta^2) per bin, with SdFac = e^p0, SdB = p1^2, SdAdd = p2^2.
  void fit_error_model(const std::vector<MergedReflection>& merged, const std::vector<std::size_t>& group_of) {
    // Each observation against the mean of the others of its reflection (leave one out, weighted as the merge
    // weights them now): delta^2 = (v - m_-i)^2 / (sigma'_v^2 + var(m_-i)). A mean that includes v would pull
    // the deviations of the heavily weighted observations towards 0 and the fitted SdFac below the truth.
    struct Term {
      double a, s2, m, other;  // (v - m_-i)^2, the counting variance (corrected units), max(I_h, 0), var(m_-i)
      std::size_t bin;
    };
    std::vector<double> sw(starts.size(), 0.0), swv(starts.size(), 0.0), weight(obs.size(), 0.0);
    std::vector<std::size_t> count(starts.size(), 0);
    std::size_t total = 0;
    for (std::size_t i = 0; i < obs.size(); ++i) {
      const MergedReflection& r = merged[group_of[i]];
      if (!used(obs[i]) || r.observations < 2 || !std::isfinite(r.intensity)) continue;
      const double s = sigma(obs[i], r.intensity);
      weight[i] = 1 / (s * s);
      sw[group_of[i]] += weight[i], swv[group_of[i]] += weight[i] * obs[i].intensity / factor(obs[i]);
      ++count[group_of[i]], ++total;
    }
    if (total < 10 * kErrorBins) return;
    // Bins of equal numbers of observations in the order of their reflections' merged intensity (reflections
    // sorted, not observations: their observations lie together).
    std::vector<std::size_t> groups;
    for (std::size_t g = 0; g + 1 < starts.size(); ++g) {
      if (count[g] > 0) groups.push_back(g);
    }
    std::sort(groups.begin(), groups.end(), [&](std::size_t a, std::size_t b) {
      return merged[a].intensity < merged[b].intensity || (merged[a].intensity == merged[b].intensity && a < b);
    });
    std::vector<Term> terms;
    // Three parameters from kErrorBins bins need no more than a few thousand deviations a bin: every stride-th
    // in that order (the same choice on every run).
    const std::size_t stride = std::max<std::size_t>(1, total / (kErrorBins * kTermsPerBin));
    terms.reserve(total / stride + 1);
    std::size_t k = 0;
    for (std::size_t g : groups) {
      for (std::size_t i = starts[g]; i < starts[g + 1]; ++i) {
        if (weight[i] == 0) continue;
        const std::size_t position = k++;
        if (position % stride != 0) continue;
        const Observation& o = obs[i];
        const double f = factor(o), v = o.intensity / f, s = o.sigma / f;
        const double rest = sw[g] - weight[i];
        if (!(rest > 1e-12 * sw[g])) continue;
        const double others = (swv[g] - weight[i] * v) / rest;
        terms.push_back({(v - others) * (v - others), s * s, std::max(merged[g].intensity, 0.0), 1 / rest,
                         position * kErrorBins / total});
      }
    }
    if (terms.size() < 10 * kErrorBins) return;
    using Bins = std::array<double, kErrorBins>;
    const auto residuals = [&](const Eigen::Vector3d& p) {
      const double fac2 = std::exp(2 * p[0]), sb = p[1] * p[1], sa = p[2] * p[2];
      Bins sum{}, count{};
      for (const Term& t : terms) {
        sum[t.bin] += t.a / (fac2 * (t.s2 + sb * t.m + sa * sa * t.m * t.m) + t.other + 1e-30);
        count[t.bin] += 1;
      }
      for (std::size_t b = 0; b < kErrorBins; ++b) sum[b] = std::log(sum[b] / count[b] + 1e-30);
      return sum;
    };
    const auto squared = [](const Bins& r) {
      double total = 0;
      for (double v : r) total += v * v;
      return total;
    };
    Eigen::Vector3d p{0.0, 0.1, 0.2};
    double lambda = 1e-3, cost = squared(residuals(p));
    for (int it = 0; it < 60; ++it) {
      const Bins r = residuals(p);
      std::array<Bins, 3> j{};
      for (int k = 0; k < 3; ++k) {
        Eigen::Vector3d q = p;
        const double h = 1e-6 * std::max(1.0, std::abs(p[k]));
        q[k] += h;
        const Bins moved = residuals(q);
        for (std::size_t b = 0; b < kErrorBins; ++b) j[k][b] = (moved[b] - r[b]) / h;
      }
      Eigen::Matrix3d a;
      Eigen::Vector3d g;
      for (int x = 0; x < 3; ++x) {
        g[x] = 0;
        for (std::size_t b = 0; b < kErrorBins; ++b) g[x] -= j[x][b] * r[b];
        for (int y = 0; y < 3; ++y) {
          a(x, y) = 0;
          for (std::size_t b = 0; b < kErrorBins; ++b) a(x, y) += j[x][b] * j[y][b];
        }
      }
      a.diagonal() *= 1 + lambda;
      const Eigen::Vector3d next = p + a.ldlt().solve(g);
      const double next_cost = squared(residuals(next));
      if (std::isfinite(next_cost) && next_cost < cost) {
        const bool done = cost - next_cost < 1e-10 * cost;
        p = next, cost = next_cost, lambda = std::max(lambda / 10, 1e-9);
        if (done) break;
      } else {
        lambda *= 10;
        if (lambda > 1e8) break;
      }
    }
    model = {std::exp(p[0]), p[1] * p[1], p[2] * p[2]};
  }
};

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

namespace {

struct Groups {
  std::vector<std::size_t> starts;    // group g: observations [starts[g], starts[g + 1])
  std::vector<std::size_t> group_of;  // per observation
};

// The observations sorted by reflection (ties kept in input order) and their groups.
Groups group_by_reflection(std::vector<Observation>& observations, std::size_t crystals) {
  std::vector<std::pair<std::uint64_t, std::size_t>> order(observations.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const AsuIndex& x = observations[i].index;
    for (int v : x.hkl) {
      if (std::abs(v) >= (1 << 20)) throw InvalidArgument(fmt::format("Miller index {} is out of range", v));
    }
    if (observations[i].crystal >= crystals) throw InvalidArgument("an observation names a crystal beyond the count");
    order[i] = {packed(x), i};
  }
  std::sort(order.begin(), order.end());
  std::vector<Observation> sorted(observations.size());
  for (std::size_t i = 0; i < order.size(); ++i) sorted[i] = observations[order[i].second];
  observations = std::move(sorted);
  Groups g;
  g.group_of.resize(observations.size());
  for (std::size_t i = 0; i < observations.size(); ++i) {
    if (i == 0 || observations[i].index != observations[i - 1].index) g.starts.push_back(i);
    g.group_of[i] = g.starts.size() - 1;
  }
  g.starts.push_back(observations.size());
  return g;
}

// The reference's intensity of every group (NaN where it has none).
std::vector<double> reference_by_group(const ReferenceIntensities& reference,
                                       const std::vector<Observation>& observations, const Groups& groups) {
  std::vector<double> out(groups.starts.size() - 1, kNaN);
  if (reference.empty()) return out;
  std::unordered_map<std::uint64_t, double> by_key;
  for (const auto& [index, value] : reference) by_key.emplace(packed(index), value);
  for (std::size_t g = 0; g + 1 < groups.starts.size(); ++g) {
    const auto it = by_key.find(packed(observations[groups.starts[g]].index));
    if (it != by_key.end()) out[g] = it->second;
  }
  return out;
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

// Each crystal's merged observation count and the correlation of its corrected observations with the merge,
// from running sums.
void crystal_correlations(const Merger& m, const std::vector<Observation>& observations,
                          const std::vector<MergedReflection>& merged, const std::vector<std::size_t>& group_of,
                          std::vector<CrystalScale>& crystals) {
  struct Pairs {
    double n = 0, x = 0, y = 0, xx = 0, yy = 0, xy = 0;
  };
  std::vector<Pairs> pairs(crystals.size());
  for (std::size_t i = 0; i < observations.size(); ++i) {
    const Observation& o = observations[i];
    const double y = merged[group_of[i]].intensity;
    if (!m.used(o) || !std::isfinite(y)) continue;
    const double x = o.intensity / m.factor(o);
    Pairs& p = pairs[o.crystal];
    p.n += 1, p.x += x, p.y += y, p.xx += x * x, p.yy += y * y, p.xy += x * y;
  }
  for (std::size_t c = 0; c < crystals.size(); ++c) {
    const Pairs& p = pairs[c];
    crystals[c].observations = static_cast<std::size_t>(p.n);
    const double sxx = p.xx - p.x * p.x / p.n, syy = p.yy - p.y * p.y / p.n, sxy = p.xy - p.x * p.y / p.n;
    crystals[c].cc = p.n >= 2 && sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : kNaN;
  }
}

}  // namespace

MergeResult scale_and_merge(std::vector<Observation> observations, std::size_t crystals, const MergeOptions& options,
                            const std::vector<CrystalModel>& models, const ReferenceIntensities& reference) {
  options.validate();
  if (!models.empty() && models.size() != crystals) throw InvalidArgument("scale_and_merge: one model per crystal");
  if (observations.empty()) throw InvalidArgument("there are no observations to merge");
  const Groups groups = group_by_reflection(observations, crystals);
  const std::vector<std::size_t>& group_of = groups.group_of;
  MergeResult result;
  result.crystals.assign(crystals, CrystalScale{});
  for (std::size_t c = 0; c < models.size(); ++c) result.crystals[c].model = models[c];
  const bool post_refinement = !models.empty() && options.model != PartialityModel::unity;
  if (post_refinement) {
    for (Observation& o : observations) o.partiality = model_partiality(models[o.crystal], o.hkl, options.model);
  }
  runtime::ThreadPool pool(options.threads);
  Merger m{observations, groups.starts, options, result.crystals, result.error_model, pool, {}};
  m.update_peaks();
  const std::vector<double> reference_of = reference_by_group(reference, observations, groups);
  const auto target = [&](const std::vector<MergedReflection>& merged) {
    return reference.empty() ? merged : scaled_reference(merged, reference_of);
  };
  std::vector<MergedReflection> merged = m.merge({});
  for (std::size_t cycle = 0; cycle < options.cycles; ++cycle) {
    if (post_refinement) {
      m.post_refine_all(target(merged), group_of), merged = m.merge(merged);
    } else if (options.scale != ScaleModel::none) {
      m.scale(target(merged), group_of), merged = m.merge(merged);
    }
    if (options.error_model) m.fit_error_model(merged, group_of), merged = m.merge(merged);
  }
  crystal_correlations(m, observations, merged, group_of, result.crystals);
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
