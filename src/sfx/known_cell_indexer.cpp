#include "sfx/known_cell_indexer.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "core/error.h"
#include "sfx/cell_parameters.h"
#include "sfx/direction_scores.h"

namespace xpulse::sfx {
namespace {

using geometry::Mat3;
using geometry::Vec3;

constexpr double kTwoPi = 2 * std::numbers::pi;
constexpr double kStep = 0.15;  // largest change of a search peak's index between neighbouring grid points
constexpr double kSearchOrders = 12;  // the largest index of the longest vector among the search peaks
constexpr std::size_t kFewestSearchPeaks = 20;
constexpr double kAlignment = 0.4;   // largest rms index misfit of the indexed peaks, in tolerances
constexpr std::size_t kRefined = 16;
constexpr std::size_t kRanked = 1024;  // directions of step 1 ranked for the distinct best
constexpr double kSameOrientation = 0.01;
constexpr double kLargestIndex = 1e6;  // indices beyond this come from a degenerate matrix, not a peak  // radians: candidates closer than this are one  // orientations of step 2 refined

Vec3 fibonacci_direction(std::size_t i, std::size_t n) {
  const double golden = std::numbers::pi * (3 - std::sqrt(5.0));
  const double z = (static_cast<double>(i) + 0.5) / static_cast<double>(n), r = std::sqrt(1 - z * z);
  const double phi = golden * static_cast<double>(i);
  return {r * std::cos(phi), r * std::sin(phi), z};
}

double fractional_distance(double h) { return std::abs(h - std::nearbyint(h)); }

// The search peaks' scattering vectors, by component, and room for one term per peak.
struct SearchPeaks {
  std::vector<float> x, y, z, terms;
};

// Sum over the search peaks of cos(2 pi w . s): the terms elementwise (vectorised), then added in order, so that
// the bits do not depend on how the vector loop was peeled.
double periodicity(const Vec3& w, SearchPeaks& p) {
  const std::size_t m = p.x.size();
  const float wx = static_cast<float>(w[0]), wy = static_cast<float>(w[1]), wz = static_cast<float>(w[2]);
  const float* x = p.x.data();
  const float* y = p.y.data();
  const float* z = p.z.data();
  float* out = p.terms.data();
  for (std::size_t i = 0; i < m; ++i) out[i] = cos_two_pi(wx * x[i] + wy * y[i] + wz * z[i]);
  double total = 0;
  for (std::size_t i = 0; i < m; ++i) total += out[i];
  return total;
}

}  // namespace

struct KnownCellIndexer::Candidate {
  Mat3 u{};
  double score = 0;
};

void IndexerOptions::validate() const {
  if (!(tolerance > 0 && tolerance < 0.5)) {
    throw InvalidArgument(fmt::format("the indexing tolerance must lie in (0, 0.5), got {}", tolerance));
  }
  if (!(min_fraction > 0 && min_fraction <= 1)) {
    throw InvalidArgument(fmt::format("the fraction of peaks indexed must lie in (0, 1], got {}", min_fraction));
  }
  if (min_indexed < 4) throw InvalidArgument(fmt::format("at least 4 indexed peaks are needed, got {}", min_indexed));
  if (!(length_tolerance > 0) || !(angle_tolerance_deg > 0)) {
    throw InvalidArgument("the cell tolerances must be positive");
  }
  if (search_peaks < 6 || directions < 1) throw InvalidArgument("the search needs >= 6 peaks and >= 1 direction");
}

geometry::UnitCell cell_of_ub(const Mat3& ub) {
  const Mat3 real = geometry::inverse(ub);  // rows a, b, c
  const auto angle = [](const Vec3& x, const Vec3& y) {
    return std::acos(std::clamp(geometry::dot(x, y) / (geometry::norm(x) * geometry::norm(y)), -1.0, 1.0)) * 180 /
           std::numbers::pi;
  };
  return {geometry::norm(real[0]), geometry::norm(real[1]), geometry::norm(real[2]),
          angle(real[1], real[2]), angle(real[0], real[2]), angle(real[0], real[1])};
}

KnownCellIndexer::KnownCellIndexer(const geometry::UnitCell& cell, Centering centering, const IndexerOptions& options,
                                   DirectionScorer scorer)
    : cell_(cell), centering_(centering), options_(options), scorer_(std::move(scorer)) {
  cell.validate();
  options.validate();
  check_centering(cell, centering);
  b_ = cell.b_matrix();
  b_inverse_ = geometry::inverse(b_);
  for (int i = 0; i < 3; ++i) {
    const double length = geometry::norm(b_inverse_[i]);
    if (length > longest_length_) longest_length_ = length, longest_ = i;
  }
  max_length_ = longest_length_;
  // The lattice's rotations in the crystal frame, B S B^-1, for the proper metric symmetries S.
  const geometry::Crystal crystal(cell, geometry::kIdentity);  // named: the loop must not outlive it
  for (const Mat3& op : crystal.point_group()) {
    if (geometry::determinant(op) > 0) symmetry_.push_back(geometry::mul(geometry::mul(b_, op), b_inverse_));
  }
}

bool KnownCellIndexer::same_orientation(const Mat3& u1, const Mat3& u2) const {
  const Mat3 d = geometry::mul(geometry::transpose(u1), u2);
  for (const Mat3& t : symmetry_) {
    const Mat3 r = geometry::mul(d, t);
    if (r[0][0] + r[1][1] + r[2][2] > 1 + 2 * std::cos(kSameOrientation)) return true;
  }
  return false;
}

// Steps 1 and 2 on the lowest-resolution peaks: the best orientation for each of the best directions.
std::vector<KnownCellIndexer::Candidate> KnownCellIndexer::search(std::span<const Vec3> s,
                                                                  const std::vector<std::uint32_t>& order,
                                                                  std::size_t share) const {
  // The lowest-resolution peaks, fewer when the longest vector's indices would run past kSearchOrders (a finer
  // grid would be needed for no more information), but at least kFewestSearchPeaks; as many more as lattices may
  // share them.
  const double orders = kSearchOrders * std::sqrt(static_cast<double>(share));
  std::size_t m = std::min(order.size(), options_.search_peaks * share);
  while (m > kFewestSearchPeaks * share && longest_length_ * geometry::norm(s[order[m - 1]]) > orders) --m;
  SearchPeaks peaks{std::vector<float>(m), std::vector<float>(m), std::vector<float>(m), std::vector<float>(m)};
  double s_max = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const Vec3& v = s[order[i]];
    peaks.x[i] = static_cast<float>(v[0]), peaks.y[i] = static_cast<float>(v[1]), peaks.z[i] = static_cast<float>(v[2]);
    s_max = std::max(s_max, geometry::norm(v));
  }
  // Step 1: a grid fine enough that no search peak's index moves by more than kStep between neighbours.
  const double delta = kStep / (longest_length_ * s_max);
  const std::size_t n = std::clamp<std::size_t>(static_cast<std::size_t>(std::ceil(kTwoPi / (delta * delta))), 500,
                                                400000);
  std::vector<double> score(n);
  if (scorer_) {
    score = scorer_(ScorePeaks{peaks.x, peaks.y, peaks.z}, longest_length_, n);
    if (score.size() != n) throw Error("the direction scorer returned the wrong number of scores");
  } else {
    // The Fibonacci directions in order, their azimuth turned by the golden angle from one to the next (a rotation
    // applied step by step instead of a sine and a cosine per direction).
    const double golden = std::numbers::pi * (3 - std::sqrt(5.0)), cg = std::cos(golden), sg = std::sin(golden);
    double c = 1, sn = 0;
    for (std::size_t d = 0; d < n; ++d) {
      const double z = (static_cast<double>(d) + 0.5) / static_cast<double>(n), r = std::sqrt(1 - z * z);
      score[d] = periodicity({longest_length_ * r * c, longest_length_ * r * sn, longest_length_ * z}, peaks);
      const double next = c * cg - sn * sg;
      sn = sn * cg + c * sg, c = next;
    }
  }
  // The best few thousand directions in order (score, then index: the same on every machine).
  std::vector<std::uint32_t> rank(n);
  for (std::size_t d = 0; d < n; ++d) rank[d] = static_cast<std::uint32_t>(d);
  const std::size_t top = std::min<std::size_t>(n, kRanked);
  std::partial_sort(rank.begin(), rank.begin() + static_cast<std::ptrdiff_t>(top), rank.end(), [&](auto a, auto b) {
    return score[a] > score[b] || (score[a] == score[b] && a < b);
  });
  rank.resize(top);

  std::vector<Vec3> kept;
  const double apart = std::cos(3 * std::sqrt(kTwoPi / static_cast<double>(n)));
  for (std::size_t r = 0; r < top && kept.size() < options_.directions * share; ++r) {
    const Vec3 t = fibonacci_direction(rank[r], n);
    bool distinct = true;
    for (const Vec3& k : kept) distinct = distinct && std::abs(geometry::dot(k, t)) < apart;
    if (distinct) kept.push_back(t);
  }
  // Step 2: the rotation about each direction (and its opposite) that brings all three indices nearest integers.
  const double dphi = kStep / (max_length_ * s_max);
  const std::size_t steps = static_cast<std::size_t>(std::ceil(kTwoPi / dphi));
  std::vector<Candidate> candidates;
  for (const Vec3& direction : kept) {
    for (double sense : {1.0, -1.0}) {
      const Vec3 t = geometry::scale(sense, direction);
      const Mat3 r0 = geometry::rotation_between(b_inverse_[longest_], t);
      Candidate best;
      best.score = -1e300;
      const Mat3 turn = geometry::rotation_about(t, dphi);
      Mat3 u = r0;
      for (std::size_t j = 0; j < steps; ++j, u = geometry::mul(turn, u)) {
        const Mat3 m3 = geometry::mul(b_inverse_, geometry::transpose(u));  // h = B^-1 U^T s
        const double total = periodicity(m3[0], peaks) + periodicity(m3[1], peaks) + periodicity(m3[2], peaks);
        if (total > best.score) best.score = total, best.u = u;
      }
      candidates.push_back(best);
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.score > b.score;
  });
  return candidates;
}

// Peaks within `radius` of the origin whose indices h = M s all lie within `tolerance` of integers that the
// centering allows.
void KnownCellIndexer::assign(std::span<const Vec3> s, const std::vector<std::uint32_t>& peaks, const Mat3& m3,
                              double tolerance, double radius, std::vector<std::uint32_t>& chosen,
                              std::vector<std::array<int, 3>>& hkl) const {
  chosen.clear(), hkl.clear();
  for (std::uint32_t p : peaks) {
    if (geometry::norm(s[p]) > radius) continue;
    const Vec3 h = geometry::mul(m3, s[p]);
    if (!(std::max({std::abs(h[0]), std::abs(h[1]), std::abs(h[2])}) < kLargestIndex) ||
        std::max({fractional_distance(h[0]), fractional_distance(h[1]), fractional_distance(h[2])}) > tolerance) {
      continue;
    }
    const std::array<int, 3> i{static_cast<int>(std::nearbyint(h[0])), static_cast<int>(std::nearbyint(h[1])),
                               static_cast<int>(std::nearbyint(h[2]))};
    if (!centering_allows(centering_, i[0], i[1], i[2])) continue;
    chosen.push_back(p), hkl.push_back(i);
  }
}

// Step 3: Kabsch on the assigned peaks, shell by shell outwards, then with a shrinking threshold.
Mat3 KnownCellIndexer::refine_orientation(std::span<const Vec3> s, const std::vector<std::uint32_t>& order, Mat3 u,
                                          double first_radius) const {
  const double s_max = geometry::norm(s[order.back()]);
  std::vector<std::pair<double, double>> passes;  // (radius, tolerance)
  for (double r = first_radius; r < s_max; r *= 1.4) passes.emplace_back(r, 0.3);
  for (double t : {0.3, 0.25, 0.2, 0.15, 0.15}) passes.emplace_back(s_max, t);
  std::vector<std::uint32_t> chosen;
  std::vector<std::array<int, 3>> hkl;
  for (const auto& [radius, tolerance] : passes) {
    assign(s, order, geometry::mul(b_inverse_, geometry::transpose(u)), tolerance, radius, chosen, hkl);
    if (chosen.size() < 4) continue;
    // Tukey's biweight on the index misfit: peaks of another lattice (or noise) that fall within the tolerance by
    // chance lie anywhere in it and weigh little; the lattice's own lie near integers.
    const Mat3 m3 = geometry::mul(b_inverse_, geometry::transpose(u));
    Mat3 h{};  // sum w s (B h)^T
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      const Vec3 hkl_d{static_cast<double>(hkl[i][0]), static_cast<double>(hkl[i][1]), static_cast<double>(hkl[i][2])};
      const Vec3 c = geometry::mul(b_, hkl_d);
      const Vec3& v = s[chosen[i]];
      const double d = geometry::norm(geometry::sub(geometry::mul(m3, v), hkl_d)) / (std::sqrt(3.0) * tolerance);
      const double w = (1 - d * d) * (1 - d * d);
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) h[a][b] += w * v[a] * c[b];
    }
    u = geometry::nearest_rotation(h);
  }
  return u;
}

namespace {

// Gauss-Newton for the orientation (three small rotations) and the cell parameters the lattice system leaves
// free: least squares of U B(cell) h - s over the assigned peaks.
struct LatticeFit {
  Mat3 u{};
  geometry::UnitCell cell;
};

Mat3 small_rotation(const double* w) {
  return geometry::mul(geometry::rotation_about({0, 0, 1}, w[2]),
                       geometry::mul(geometry::rotation_about({0, 1, 0}, w[1]), geometry::rotation_about({1, 0, 0}, w[0])));
}

LatticeFit fit_lattice(std::span<const Vec3> s, const std::vector<std::uint32_t>& chosen,
                       const std::vector<std::array<int, 3>>& hkl, const LatticeFit& start,
                       const CellParameters& parameters) {
  const std::vector<double> packed = parameters.pack(start.cell);
  const Eigen::Index n = 3 + static_cast<Eigen::Index>(packed.size()), m = 3 * static_cast<Eigen::Index>(chosen.size());
  if (m < 2 * n) return start;
  Eigen::VectorXd p = Eigen::VectorXd::Zero(n);
  for (std::size_t a = 0; a < packed.size(); ++a) p[3 + static_cast<Eigen::Index>(a)] = packed[a];
  const auto residuals = [&](const Eigen::VectorXd& q) {
    const Mat3 ub = geometry::mul(geometry::mul(small_rotation(q.data()), start.u),
                                  parameters.unpack(q.data() + 3, start.cell).b_matrix());
    Eigen::VectorXd r(m);
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      const Vec3 d = geometry::sub(geometry::mul(ub, Vec3{double(hkl[i][0]), double(hkl[i][1]), double(hkl[i][2])}),
                                   s[chosen[i]]);
      for (int c = 0; c < 3; ++c) r[static_cast<Eigen::Index>(3 * i) + c] = d[c];
    }
    return r;
  };
  for (int iteration = 0; iteration < 4; ++iteration) {
    const Eigen::VectorXd r = residuals(p);
    Eigen::MatrixXd j(m, n);
    for (Eigen::Index a = 0; a < n; ++a) {
      const double h = a < 3 ? 1e-6 : 1e-6 * std::abs(p[a]);
      Eigen::VectorXd q = p;
      q[a] += h;
      j.col(a) = (residuals(q) - r) / h;
    }
    const Eigen::VectorXd step = (j.transpose() * j).ldlt().solve(-(j.transpose() * r));
    if (!step.allFinite()) break;
    p += step;
  }
  LatticeFit out{geometry::mul(small_rotation(p.data()), start.u), parameters.unpack(p.data() + 3, start.cell)};
  // A fit that ran away (a cell far from the start, or no cell at all) leaves the start as it was.
  try {
    out.cell.validate();
  } catch (const InputError&) {
    return start;
  }
  for (auto [x, y] : {std::pair{out.cell.a, start.cell.a}, std::pair{out.cell.b, start.cell.b},
                      std::pair{out.cell.c, start.cell.c}}) {
    if (!(std::abs(x / y - 1) < 0.5)) return start;
  }
  return out;
}

// Root mean square over the peaks of the largest distance of an index from its integer.
double index_misfit(std::span<const Vec3> s, const std::vector<std::uint32_t>& chosen, const Mat3& m) {
  double sum = 0;
  for (auto p : chosen) {
    const Vec3 h = geometry::mul(m, s[p]);
    const double d = std::max({fractional_distance(h[0]), fractional_distance(h[1]), fractional_distance(h[2])});
    sum += d * d;
  }
  return std::sqrt(sum / static_cast<double>(std::max<std::size_t>(1, chosen.size())));
}

}  // namespace

bool KnownCellIndexer::index_one(std::span<const Vec3> s, const std::vector<std::uint32_t>& active,
                                 std::size_t share, double min_count, IndexedLattice& out) const {
  if (active.size() < options_.min_indexed) return false;
  std::vector<std::uint32_t> order(active);
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto b) { return geometry::norm(s[a]) < geometry::norm(s[b]); });
  const double first_radius = geometry::norm(s[order[std::min(order.size(), kFewestSearchPeaks) - 1]]);
  const std::vector<Candidate> candidates = search(s, order, share);
  bool found = false;
  double best_misfit = 0;
  std::vector<std::uint32_t> chosen;
  std::vector<std::array<int, 3>> hkl;
  const auto cell_ok = [&](const geometry::UnitCell& free) {
    const auto length_ok = [&](double x, double y) { return std::abs(x - y) <= options_.length_tolerance * y; };
    const auto angle_ok = [&](double x, double y) { return std::abs(x - y) <= options_.angle_tolerance_deg; };
    return length_ok(free.a, cell_.a) && length_ok(free.b, cell_.b) && length_ok(free.c, cell_.c) &&
           angle_ok(free.alpha, cell_.alpha) && angle_ok(free.beta, cell_.beta) && angle_ok(free.gamma, cell_.gamma);
  };
  // The best few orientations of step 2 are refined, rigidly and then with the cell parameters of the lattice
  // system free (the given cell may be a little off); the one that indexes most peaks, and among nearly as many
  // the best aligned, is kept.
  const CellParameters parameters = CellParameters::of(cell_);
  std::vector<Mat3> tried;
  for (std::size_t c = 0, refined = 0; c < candidates.size() && refined < kRefined * share; ++c) {
    // The two senses of a direction often give the same orientation modulo the lattice's symmetry: refine once.
    bool seen = false;
    for (const Mat3& u : tried) seen = seen || same_orientation(u, candidates[c].u);
    if (seen) continue;
    tried.push_back(candidates[c].u), ++refined;
    LatticeFit fit{refine_orientation(s, order, candidates[c].u, first_radius), cell_};
    const auto index_matrix = [&] { return geometry::inverse(geometry::mul(fit.u, fit.cell.b_matrix())); };
    for (double tolerance : {0.25, 0.2, 0.15}) {
      assign(s, order, index_matrix(), tolerance, 1e300, chosen, hkl);
      fit = fit_lattice(s, chosen, hkl, fit, parameters);
    }
    const Mat3 m = index_matrix();
    assign(s, order, m, options_.tolerance, 1e300, chosen, hkl);
    const double count = static_cast<double>(chosen.size());
    if (count < std::max(min_count, static_cast<double>(options_.min_indexed)) || !cell_ok(fit.cell)) continue;
    // Indices of a real lattice lie much nearer integers than the tolerance; those of an orientation that merely
    // happens to place random peaks within it spread evenly over it (rms of the largest of three ~0.78 x tolerance).
    const double misfit = index_misfit(s, chosen, m);
    if (misfit > kAlignment * options_.tolerance) continue;
    const double best = static_cast<double>(out.peaks.size());
    if (found && !(count > 1.05 * best || (count >= 0.95 * best && misfit < best_misfit))) continue;
    found = true;
    best_misfit = misfit;
    out.ub = geometry::mul(fit.u, fit.cell.b_matrix());
    out.cell = fit.cell;
    out.peaks = chosen, out.hkl = hkl;
    out.fraction = count / static_cast<double>(active.size());
  }
  return found;
}

bool KnownCellIndexer::index_among(std::span<const Vec3> s, const std::vector<std::uint32_t>& active,
                                   std::size_t share, IndexedLattice& out) const {
  // The lattice may share the peaks still unexplained with share - 1 others.
  const double fraction = options_.min_fraction / static_cast<double>(std::max<std::size_t>(1, share));
  return index_one(s, active, std::max<std::size_t>(1, share), fraction * static_cast<double>(active.size()), out);
}

std::vector<IndexedLattice> KnownCellIndexer::index(std::span<const Vec3> s, std::size_t max_lattices) const {
  std::vector<IndexedLattice> lattices;
  std::vector<std::uint32_t> active(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) active[i] = static_cast<std::uint32_t>(i);
  for (std::size_t l = 0; l < max_lattices; ++l) {
    IndexedLattice lattice;
    if (!index_among(s, active, max_lattices - l, lattice)) break;
    active = without(active, lattice.peaks, s.size());
    lattices.push_back(std::move(lattice));
  }
  return lattices;
}

std::vector<std::uint32_t> without(const std::vector<std::uint32_t>& active, const std::vector<std::uint32_t>& used,
                                   std::size_t peaks) {
  std::vector<std::uint8_t> taken(peaks, 0);
  for (auto p : used) taken[p] = 1;
  std::vector<std::uint32_t> left;
  for (auto p : active) {
    if (!taken[p]) left.push_back(p);
  }
  return left;
}

}  // namespace xpulse::sfx
