#include "pipelines/sfx_merge.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/geometry_file.h"
#include "io/hdf5.h"
#include "io/merged_reflection_files.h"
#include "runtime/world.h"
#include "sfx/centering.h"
#include "sfx/possible_reflections.h"
#include "sfx/reflection_prediction.h"

namespace xpulse::pipelines {
namespace {

constexpr std::uint64_t kHalfSeed = 20120906;  // the split of crystals into half-datasets
constexpr double kSameLength = 0.01, kSameAngle = 1.0;  // cells of the inputs must agree within these

struct Crystal {
  geometry::Mat3 ub{};
  double radius = 0;
};

// One input table: its observations with crystal indices local to the file.
struct Table {
  std::string path;
  geometry::UnitCell cell;
  std::string cell_text;
  char centering = 'P';
  double bandwidth = 0, k = 0;  // relative; 1/Angstrom
  double polarization_fraction = 1;  // of the beam's polarisation along x
  std::vector<Crystal> crystals;
  std::vector<std::array<int, 3>> hkl;
  std::vector<std::uint32_t> crystal;
  // This rank's share of /reflections: rows [first_row, first_row + hkl.size()).
  std::size_t first_row = 0;
  std::vector<double> intensity, sigma, d;
  std::vector<std::uint8_t> flags;
};

double wavenumber(const io::Reader& in, const std::string& path) {
  const std::optional<double> ev = io::read_photon_energy_ev(in, path);
  if (!ev) throw InputError(fmt::format("'{}' has no photon energy at '/entry_1/instrument_1/source_1/energy'", path));
  if (!(*ev > 0)) throw InputError(fmt::format("'{}' has a photon energy of {} eV", path, *ev));
  return *ev / 12398.419843320026;  // 1 / lambda, lambda = h c / E
}

// This rank's share of a table's n reflection rows (all of them in one process).
struct Rows {
  std::size_t first = 0, end = 0;
  static Rows share(std::size_t n, const runtime::World& world) {
    const runtime::Blocks blocks{n, world.size()};
    return {blocks.first(world.rank()), blocks.first(world.rank() + 1)};
  }
};

template <class T>
std::vector<T> read_rows(const io::Reader& in, const std::string& name, Rows rows, std::size_t width) {
  if (rows.end == rows.first) return {};
  if (width == 1) {
    const std::size_t offset[1] = {rows.first}, count[1] = {rows.end - rows.first};
    return in.read<T>(name, offset, count);
  }
  const std::size_t offset[2] = {rows.first, 0}, count[2] = {rows.end - rows.first, width};
  return in.read<T>(name, offset, count);
}

// A table's /indexing (every crystal) and this rank's share of its /reflections.
Table read_table(const std::string& path, const runtime::World& world) {
  const io::Reader in(path);
  for (const char* name : {"/indexing/frame", "/indexing/lattice", "/indexing/ub", "/indexing/profile_radius",
                           "/reflections/frame", "/reflections/lattice", "/reflections/hkl", "/reflections/intensity",
                           "/reflections/sigma", "/reflections/d", "/reflections/flags"}) {
    if (!in.exists(name)) {
      throw InputError(fmt::format("'{}' has no '{}': not a reflection table of xpulse sfx process", path, name));
    }
  }
  Table t;
  t.path = path;
  t.cell_text = in.string_attribute("/indexing", "cell");
  if (t.cell_text.empty()) throw InputError(fmt::format("'{}' does not say the cell it was indexed with", path));
  t.cell = sfx::parse_cell(t.cell_text);
  const std::string centering = in.string_attribute("/indexing", "centering");
  t.centering = centering.size() == 1 ? centering[0] : 'P';
  t.bandwidth = in.numeric_attribute("/indexing", "bandwidth").value_or(0.002);
  t.k = wavenumber(in, path);
  const std::string fraction = "/entry_1/instrument_1/source_1/polarization_fraction";
  if (in.exists(fraction)) t.polarization_fraction = in.read_scalar(fraction);
  const auto frames = in.read<std::uint32_t>("/indexing/frame"), lattices = in.read<std::uint32_t>("/indexing/lattice");
  const auto ub = in.read<double>("/indexing/ub"), radius = in.read<double>("/indexing/profile_radius");
  const std::size_t l = frames.size();
  if (lattices.size() != l || ub.size() != 9 * l || radius.size() != l) {
    throw InputError(fmt::format("the /indexing datasets of '{}' disagree in length", path));
  }
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> row_of;
  for (std::size_t i = 0; i < l; ++i) {
    Crystal c;
    for (int r = 0; r < 3; ++r) {
      for (int col = 0; col < 3; ++col) c.ub[r][col] = ub[9 * i + 3 * r + col];
    }
    c.radius = radius[i];
    t.crystals.push_back(c);
    row_of[{frames[i], lattices[i]}] = static_cast<std::uint32_t>(i);
  }
  const std::vector<std::size_t> dims = in.info("/reflections/frame").dims;
  const std::size_t n = dims.size() == 1 ? dims[0] : 0;
  for (const char* name : {"/reflections/frame", "/reflections/lattice", "/reflections/intensity",
                           "/reflections/sigma", "/reflections/d", "/reflections/flags", "/reflections/hkl"}) {
    const std::vector<std::size_t> expected = std::string(name) == "/reflections/hkl" ? std::vector<std::size_t>{n, 3}
                                                                                       : std::vector<std::size_t>{n};
    if (in.info(name).dims != expected) {
      throw InputError(fmt::format("the /reflections datasets of '{}' disagree in length", path));
    }
  }
  const Rows rows = Rows::share(n, world);
  t.first_row = rows.first;
  const auto rf = read_rows<std::uint32_t>(in, "/reflections/frame", rows, 1);
  const auto rl = read_rows<std::uint32_t>(in, "/reflections/lattice", rows, 1);
  const auto hkl = read_rows<std::int32_t>(in, "/reflections/hkl", rows, 3);
  t.intensity = read_rows<double>(in, "/reflections/intensity", rows, 1);
  t.sigma = read_rows<double>(in, "/reflections/sigma", rows, 1);
  t.d = read_rows<double>(in, "/reflections/d", rows, 1);
  t.flags = read_rows<std::uint8_t>(in, "/reflections/flags", rows, 1);
  const std::size_t mine = rows.end - rows.first;
  t.crystal.resize(mine), t.hkl.resize(mine);
  for (std::size_t i = 0; i < mine; ++i) {
    const auto it = row_of.find({rf[i], rl[i]});
    if (it == row_of.end()) {
      throw InputError(fmt::format("reflection {} of '{}' names frame {} lattice {}, which /indexing lacks",
                                   rows.first + i, path, rf[i], rl[i]));
    }
    t.crystal[i] = it->second, t.hkl[i] = {hkl[3 * i], hkl[3 * i + 1], hkl[3 * i + 2]};
  }
  return t;
}

bool same_cell(const geometry::UnitCell& a, const geometry::UnitCell& b) {
  return std::abs(a.a - b.a) <= kSameLength * a.a && std::abs(a.b - b.b) <= kSameLength * a.b &&
         std::abs(a.c - b.c) <= kSameLength * a.c && std::abs(a.alpha - b.alpha) <= kSameAngle &&
         std::abs(a.beta - b.beta) <= kSameAngle && std::abs(a.gamma - b.gamma) <= kSameAngle;
}

void check_same_cell(const Table& first, const Table& t) {
  if (!same_cell(first.cell, t.cell) || first.centering != t.centering) {
    throw InputError(fmt::format("'{}' was indexed with the cell {} ({}), '{}' with {} ({}): merge one cell at a time",
                                 first.path, first.cell_text, first.centering, t.path, t.cell_text, t.centering));
  }
}

// The polarisation factor of reflection i: f (1 - (v_x / |v|)^2) + (1 - f) (1 - (v_y / |v|)^2) for the
// scattered direction v = k_in + s.
double polarization_of(const Table& t, std::size_t i) {
  const Crystal& c = t.crystals[t.crystal[i]];
  const auto& h = t.hkl[i];
  geometry::Vec3 v{};
  for (int r = 0; r < 3; ++r) v[r] = c.ub[r][0] * h[0] + c.ub[r][1] * h[1] + c.ub[r][2] * h[2];
  v[2] += t.k;
  const double n2 = geometry::dot(v, v), f = t.polarization_fraction;
  return f * (1 - v[0] * v[0] / n2) + (1 - f) * (1 - v[1] * v[1] / n2);
}

struct Gathered {
  std::vector<sfx::Observation> observations;
  std::vector<sfx::CrystalModel> models;
  std::size_t crystals = 0;
};

// Each crystal's median |s| over all its reflections, wherever their rows were read: every row's |s| goes to
// the rank of its crystal, and the medians are gathered (0.25 1/A for a crystal without reflections).
std::vector<double> median_s(const std::vector<Table>& tables, const std::vector<std::size_t>& base,
                             std::size_t crystals, runtime::World& world) {
  struct CrystalS {
    std::uint64_t crystal;
    double s;
  };
  const runtime::Blocks blocks{crystals, world.size()};
  std::vector<std::vector<CrystalS>> to(static_cast<std::size_t>(world.size()));
  for (std::size_t f = 0; f < tables.size(); ++f) {
    const Table& t = tables[f];
    for (std::size_t i = 0; i < t.hkl.size(); ++i) {
      const std::size_t c = base[f] + t.crystal[i];
      to[static_cast<std::size_t>(blocks.owner(c))].push_back({c, 1 / t.d[i]});
    }
  }
  const std::size_t first = blocks.first(world.rank()), end = blocks.first(world.rank() + 1);
  std::vector<std::vector<double>> s_of(end - first);
  for (const CrystalS& x : world.exchange(std::move(to))) s_of[x.crystal - first].push_back(x.s);
  std::vector<double> medians(end - first, 0.25);
  for (std::size_t k = 0; k < s_of.size(); ++k) {
    std::vector<double>& s = s_of[k];
    if (s.empty()) continue;
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(s.size() / 2), s.end());
    medians[k] = s[s.size() / 2];
  }
  return world.all_gather_values(std::span<const double>(medians));
}

// This rank's observations, and every crystal's starting model: the process's refined lattice and profile
// radius (sfx/post_refinement.h).
Gathered gather(const std::vector<Table>& tables, const sfx::MergeSymmetry& symmetry, const SfxMergeRequest& r,
                runtime::World& world) {
  Gathered g;
  std::vector<std::size_t> base;
  for (const Table& t : tables) base.push_back(g.crystals), g.crystals += t.crystals.size();
  const std::vector<double> s_median = median_s(tables, base, g.crystals, world);
  for (std::size_t f = 0; f < tables.size(); ++f) {
    const Table& t = tables[f];
    for (std::size_t c = 0; c < t.crystals.size(); ++c) {
      sfx::CrystalModel m;
      const double width = t.crystals[c].radius / 2;
      m.ub = t.crystals[c].ub, m.k = t.k, m.bandwidth = t.bandwidth, m.radius = t.crystals[c].radius;
      m.rho = width / std::sqrt(2.0), m.eta = width / std::sqrt(2.0) / s_median[base[f] + c];
      g.models.push_back(m);
    }
  }
  for (std::size_t f = 0; f < tables.size(); ++f) {
    const Table& t = tables[f];
    for (std::size_t i = 0; i < t.hkl.size(); ++i) {
      if (t.flags[i] != 0 || !std::isfinite(t.intensity[i]) || !(t.sigma[i] > 0) || !std::isfinite(t.sigma[i])) continue;
      if ((r.min_res > 0 && t.d[i] > r.min_res) || (r.max_res > 0 && t.d[i] < r.max_res)) continue;
      if (symmetry.absent(t.hkl[i])) continue;
      sfx::Observation o;
      o.crystal = static_cast<std::uint32_t>(base[f] + t.crystal[i]);
      o.index = symmetry.asu(t.hkl[i]), o.hkl = t.hkl[i], o.polarization = polarization_of(t, i);
      o.intensity = t.intensity[i], o.sigma = t.sigma[i], o.d = t.d[i];
      g.observations.push_back(o);
    }
  }
  return g;
}

std::vector<io::MergedRow> rows_of(const std::vector<sfx::MergedReflection>& merged, int which) {
  std::vector<io::MergedRow> rows;
  for (const sfx::MergedReflection& m : merged) {
    const double value = which == 0 ? m.intensity : which == 1 ? m.half1 : m.half2;
    if (!std::isfinite(value)) continue;
    rows.push_back({m.index.hkl, value, m.sigma, m.observations, m.index.minus});
  }
  return rows;
}

void write_statistics(io::Writer& w, const SfxMergeSummary& s, const sfx::MergeResult& result) {
  const auto& shells = s.statistics.shells;
  const std::vector<std::size_t> n = {shells.size()};
  const auto column = [&](const char* name, auto field, const char* units) {
    std::vector<double> v;
    for (const sfx::ShellStatistics& sh : shells) v.push_back(static_cast<double>(field(sh)));
    w.write<double>(std::string("/statistics/") + name, v, n, units);
    w.attribute("/statistics", std::string("overall_") + name, static_cast<double>(field(s.statistics.overall)));
  };
  column("d_max", [](const auto& x) { return x.d_max; }, "angstrom");
  column("d_min", [](const auto& x) { return x.d_min; }, "angstrom");
  column("unique", [](const auto& x) { return x.unique; }, "");
  column("possible", [](const auto& x) { return x.possible; }, "");
  column("observations", [](const auto& x) { return x.observations; }, "");
  column("completeness", [](const auto& x) { return x.completeness; }, "fraction");
  column("multiplicity", [](const auto& x) { return x.multiplicity; }, "");
  column("mean_i_over_sigma", [](const auto& x) { return x.mean_i_over_sigma; }, "");
  column("cc_half", [](const auto& x) { return x.cc_half; }, "");
  column("cc_half_sigma_tau", [](const auto& x) { return x.cc_half_sigma_tau; }, "");
  column("cc_star", [](const auto& x) { return x.cc_star; }, "");
  column("r_split", [](const auto& x) { return x.r_split; }, "fraction");
  column("pairs", [](const auto& x) { return x.pairs; }, "");
  std::vector<double> g, b, cc;
  std::vector<std::uint8_t> rejected;
  std::vector<std::uint32_t> count;
  for (const sfx::CrystalScale& c : result.crystals) {
    g.push_back(c.g), b.push_back(c.b), cc.push_back(c.cc), rejected.push_back(c.rejected);
    count.push_back(static_cast<std::uint32_t>(c.observations));
  }
  const std::vector<std::size_t> m = {g.size()};
  w.write<double>("/crystals/g", g, m);
  w.write<double>("/crystals/b", b, m, "angstrom^2");
  w.write<double>("/crystals/cc", cc, m);
  w.write<std::uint8_t>("/crystals/rejected", rejected, m);
  w.write<std::uint32_t>("/crystals/observations", count, m);
  w.attribute("/crystals", "description", "in input order: files, then their /indexing rows");
  w.attribute("/statistics", "sd_fac", s.error_model.sd_fac);
  w.attribute("/statistics", "sd_b", s.error_model.sd_b);
  w.attribute("/statistics", "sd_add", s.error_model.sd_add);
  w.attribute("/statistics", "point_group", s.point_group);
  w.attribute("/statistics", "space_group", s.space_group);
}

void write_merged_h5(io::Writer& w, const std::vector<sfx::MergedReflection>& merged) {
  std::vector<std::int32_t> hkl;
  std::vector<std::uint8_t> minus;
  std::vector<double> intensity, sigma, d, half1, half2;
  std::vector<std::uint32_t> multiplicity;
  for (const sfx::MergedReflection& m : merged) {
    hkl.insert(hkl.end(), m.index.hkl.begin(), m.index.hkl.end());
    minus.push_back(m.index.minus), intensity.push_back(m.intensity), sigma.push_back(m.sigma), d.push_back(m.d);
    half1.push_back(m.half1), half2.push_back(m.half2);
    multiplicity.push_back(static_cast<std::uint32_t>(m.observations));
  }
  const std::vector<std::size_t> n = {merged.size()};
  w.write<std::int32_t>("/merged/hkl", hkl, std::vector<std::size_t>{merged.size(), 3});
  w.write<std::uint8_t>("/merged/minus", minus, n);
  w.attribute("/merged/minus", "description", "anomalous data: 1 for the Friedel mate (I-) of hkl");
  w.write<double>("/merged/intensity", intensity, n, "photons");
  w.write<double>("/merged/sigma", sigma, n, "photons");
  w.write<std::uint32_t>("/merged/multiplicity", multiplicity, n);
  w.write<double>("/merged/d", d, n, "angstrom");
  w.write<double>("/merged/half1", half1, n, "photons");
  w.write<double>("/merged/half2", half2, n, "photons");
  w.attribute("/merged", "halves", "half1, half2: the means of the two half-datasets (whole crystals drawn with a "
                                   "fixed seed), NaN where a half has no observation");
}

// The reference MTZ's intensities in the asymmetric unit of the merge (absent reflections dropped).
sfx::ReferenceIntensities read_reference(const std::string& path, const Table& first,
                                         const sfx::MergeSymmetry& symmetry) {
  const io::ReferenceList list = io::read_mtz_reference(path);
  if (!same_cell(first.cell, list.cell)) {
    const geometry::UnitCell& c = list.cell;
    throw InputError(fmt::format("the reference '{}' has the cell {:g},{:g},{:g},{:g},{:g},{:g}; the tables {}", path,
                                 c.a, c.b, c.c, c.alpha, c.beta, c.gamma, first.cell_text));
  }
  sfx::ReferenceIntensities out;
  for (std::size_t i = 0; i < list.hkl.size(); ++i) {
    if (!symmetry.absent(list.hkl[i])) out.emplace_back(symmetry.asu(list.hkl[i]), list.intensity[i]);
  }
  return out;
}

enum class Format { mtz, hkl, h5 };

Format format_of(const std::string& out) {
  const auto ends = [&](const char* e) { return out.size() > std::strlen(e) && out.ends_with(e); };
  if (ends(".mtz")) return Format::mtz;
  if (ends(".hkl")) return Format::hkl;
  if (ends(".h5") || ends(".hdf5")) return Format::h5;
  throw InvalidArgument(fmt::format("--out '{}': the extension must be .mtz, .hkl or .h5", out));
}

}  // namespace

sfx::MergeOptions merge_options(const SfxMergeRequest& r) {
  if (r.model != "unity" && r.model != "xsphere" && r.model != "offset") {
    throw InvalidArgument(fmt::format("--model must be offset, xsphere or unity; got '{}'", r.model));
  }
  if (r.error_model != "ev11" && r.error_model != "none") {
    throw InvalidArgument(fmt::format("--error-model must be ev11 or none; got '{}'", r.error_model));
  }
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  if (r.shells < 1 || r.shells > 100) throw InvalidArgument(fmt::format("--shells must lie in 1..100, got {}", r.shells));
  if (r.min_res < 0 || r.max_res < 0 || (r.min_res > 0 && r.max_res > 0 && r.max_res >= r.min_res)) {
    throw InvalidArgument(fmt::format("--min-res {} and --max-res {}: the low-resolution limit must be the larger d",
                                      r.min_res, r.max_res));
  }
  sfx::MergeOptions options;
  options.scale = sfx::parse_scale_model(r.scale);
  options.error_model = r.error_model == "ev11";
  options.model = sfx::parse_partiality_model(r.model);
  options.cycles = r.iterations, options.min_partiality = r.min_partiality, options.threads = r.threads;
  options.validate();
  return options;
}

void assign_halves(std::vector<sfx::Observation>& observations, std::size_t crystals) {
  std::vector<std::uint8_t> half(crystals, 0);
  std::vector<std::size_t> order(crystals);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 random(kHalfSeed);
  std::shuffle(order.begin(), order.end(), random);
  for (std::size_t k = order.size() / 2; k < order.size(); ++k) half[order[k]] = 1;
  for (sfx::Observation& o : observations) o.half = half[o.crystal];
}

MergedDataset merge_dataset(std::vector<sfx::Observation> observations, std::size_t crystals,
                            const std::vector<sfx::CrystalModel>& models, const geometry::UnitCell& cell,
                            const sfx::MergeSymmetry& symmetry, const SfxMergeRequest& r,
                            const sfx::ReferenceIntensities& reference, runtime::World* world) {
  const sfx::MergeOptions options = merge_options(r);
  std::uint64_t count[1] = {observations.size()};
  if (world) world->sum_all(count);
  if (count[0] == 0) {
    throw InputError(r.min_res > 0 || r.max_res > 0 ? "no observation lies within --min-res and --max-res"
                                                    : "the reflection tables hold no usable observation");
  }
  assign_halves(observations, crystals);
  MergedDataset out;
  out.result = sfx::scale_and_merge(std::move(observations), crystals, options, models, reference, world);
  std::erase_if(out.result.reflections,
                [&](const sfx::MergedReflection& m) { return m.observations < r.min_measurements; });
  if (out.result.reflections.empty()) {
    throw InputError(fmt::format("no reflection was measured at least {} times (--min-measurements)",
                                 r.min_measurements));
  }
  double d_max = 0, d_min = 1e300;
  for (const sfx::MergedReflection& m : out.result.reflections) d_max = std::max(d_max, m.d), d_min = std::min(d_min, m.d);
  if (r.min_res > 0) d_max = r.min_res;
  if (r.max_res > 0) d_min = r.max_res;
  if (!(d_max > d_min)) throw InputError(fmt::format("the merged reflections span no resolution range (d = {} A)", d_max));
  const std::vector<double> edges = sfx::shell_edges(d_max, d_min, r.shells);
  out.statistics = sfx::merge_statistics(sfx::summaries(out.result), edges,
                                         sfx::possible_reflections(cell, symmetry, edges));
  return out;
}

namespace {

// The outputs, each written under a partial name and committed together.
void write_outputs(const SfxMergeRequest& r, const Table& first, const sfx::MergeSymmetry& symmetry,
                   const MergedDataset& merged, const SfxMergeSummary& summary) {
  const Format format = format_of(r.out);
  const auto& reflections = merged.result.reflections;
  io::MergedListInfo info{first.cell, symmetry.space_group(), symmetry.point_group(), r.anomalous, 1 / first.k,
                          r.command_line};
  std::vector<std::unique_ptr<io::AtomicOutput>> outputs;
  const auto output = [&](const std::string& path) {
    outputs.push_back(std::make_unique<io::AtomicOutput>(path));
    return outputs.back()->partial_path();
  };
  if (format == Format::mtz) io::write_mtz(output(r.out), rows_of(reflections, 0), info);
  if (format == Format::hkl) {
    io::write_crystfel_hkl(output(r.out), rows_of(reflections, 0), info);
    io::write_crystfel_hkl(output(r.out + "1"), rows_of(reflections, 1), info);
    io::write_crystfel_hkl(output(r.out + "2"), rows_of(reflections, 2), info);
  }
  {
    io::Writer w(output(summary.statistics_file));
    if (format == Format::h5) write_merged_h5(w, reflections);
    write_statistics(w, summary, merged.result);
    const geometry::UnitCell& c = first.cell;
    w.write<double>("/statistics/cell", std::vector<double>{c.a, c.b, c.c, c.alpha, c.beta, c.gamma},
                    std::vector<std::size_t>{6});
    io::write_provenance(w, r.command_line, r.inputs.front());
    w.close();
  }
  for (auto& o : outputs) o->commit();
}

}  // namespace

SfxMergeSummary sfx_merge_files(const SfxMergeRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  if (r.inputs.empty()) throw InvalidArgument("no reflection tables given");
  format_of(r.out);
  merge_options(r);
  for (const std::string& in : r.inputs) {
    std::error_code ec;
    if (in == r.out || std::filesystem::equivalent(in, r.out, ec)) {
      throw InvalidArgument(fmt::format("--out '{}' is one of the inputs", r.out));
    }
  }
  // Every rank reads every table's crystals and its share of their reflections, then all merge together and
  // rank 0 writes.
  runtime::World& world = runtime::World::get();
  std::vector<Table> tables;
  std::optional<sfx::MergeSymmetry> symmetry;
  sfx::ReferenceIntensities reference;
  runtime::run_phase(world, [&] {
    for (const std::string& path : r.inputs) {
      tables.push_back(read_table(path, world));
      check_same_cell(tables.front(), tables.back());
    }
    symmetry.emplace(r.point_group, tables.front().centering, r.anomalous);
    if (!r.reference.empty()) reference = read_reference(r.reference, tables.front(), *symmetry);
  });
  Gathered g = gather(tables, *symmetry, r, world);
  SfxMergeSummary summary;
  std::uint64_t observations[1] = {g.observations.size()};
  world.sum_all(observations);
  summary.files = tables.size(), summary.crystals = g.crystals, summary.observations = observations[0];
  summary.point_group = symmetry->point_group(), summary.space_group = symmetry->space_group();
  summary.distribution = world.describe();
  const MergedDataset merged = merge_dataset(std::move(g.observations), g.crystals, g.models, tables.front().cell,
                                             *symmetry, r, reference, &world);
  for (const sfx::CrystalScale& c : merged.result.crystals) summary.rejected_crystals += c.rejected;
  summary.reflections = merged.result.reflections.size(), summary.error_model = merged.result.error_model;
  summary.statistics = merged.statistics;
  summary.statistics_file = format_of(r.out) == Format::h5 ? r.out : r.out + ".stats.h5";
  runtime::run_phase(world, [&] {
    if (world.is_root()) write_outputs(r, tables.front(), *symmetry, merged, summary);
  });
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace xpulse::pipelines
