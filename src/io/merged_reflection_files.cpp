#include "io/merged_reflection_files.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include <fmt/format.h>
#define GEMMI_WRITE_IMPLEMENTATION
#include <gemmi/mtz.hpp>
#undef GEMMI_WRITE_IMPLEMENTATION

#include "core/error.h"

namespace xpulse::io {
namespace {

// One MTZ row per hkl: anomalous rows pair I+ and I- of the same representative.
struct MtzRow {
  double i = NAN, sigma = NAN, i_plus = NAN, sig_plus = NAN, i_minus = NAN, sig_minus = NAN;
  std::size_t n = 0;
};

}  // namespace

void write_mtz(const std::string& path, const std::vector<MergedRow>& rows, const MergedListInfo& info) {
  const gemmi::SpaceGroup* group = gemmi::find_spacegroup_by_name(info.space_group);
  if (!group) throw InvalidArgument(fmt::format("MTZ: unknown space group '{}'", info.space_group));
  std::map<std::array<int, 3>, MtzRow> by_hkl;
  for (const MergedRow& r : rows) {
    MtzRow& m = by_hkl[r.hkl];
    m.n += r.observations;
    if (!info.anomalous) {
      m.i = r.intensity, m.sigma = r.sigma;
    } else if (r.minus) {
      m.i_minus = r.intensity, m.sig_minus = r.sigma;
    } else {
      m.i_plus = r.intensity, m.sig_plus = r.sigma;
    }
  }
  gemmi::Mtz mtz(true);  // with the HKL_base dataset and H, K, L
  mtz.spacegroup = group;
  mtz.set_cell_for_all(gemmi::UnitCell(info.cell.a, info.cell.b, info.cell.c, info.cell.alpha, info.cell.beta,
                                        info.cell.gamma));
  gemmi::Mtz::Dataset& ds = mtz.add_dataset("xpulse");
  ds.project_name = "xpulse", ds.crystal_name = "crystal", ds.wavelength = info.wavelength_angstrom;
  const std::vector<std::pair<std::string, char>> columns =
      info.anomalous ? std::vector<std::pair<std::string, char>>{{"I(+)", 'K'}, {"SIGI(+)", 'M'}, {"I(-)", 'K'},
                                                                 {"SIGI(-)", 'M'}, {"N", 'I'}}
                     : std::vector<std::pair<std::string, char>>{{"IMEAN", 'J'}, {"SIGIMEAN", 'Q'}, {"N", 'I'}};
  for (const auto& [label, type] : columns) mtz.add_column(label, type, -1, -1, false);
  std::vector<float> data;
  data.reserve(by_hkl.size() * mtz.columns.size());
  for (const auto& [hkl, m] : by_hkl) {
    data.insert(data.end(), {static_cast<float>(hkl[0]), static_cast<float>(hkl[1]), static_cast<float>(hkl[2])});
    if (info.anomalous) {
      data.insert(data.end(), {static_cast<float>(m.i_plus), static_cast<float>(m.sig_plus),
                               static_cast<float>(m.i_minus), static_cast<float>(m.sig_minus)});
    } else {
      data.insert(data.end(), {static_cast<float>(m.i), static_cast<float>(m.sigma)});
    }
    data.push_back(static_cast<float>(m.n));
  }
  mtz.set_data(data.data(), data.size());
  mtz.history.push_back(("From xpulse sfx merge: " + info.history).substr(0, 80));
  try {
    mtz.write_to_file(path);
  } catch (const std::exception& e) {
    throw InputError(fmt::format("cannot write the MTZ file '{}': {}", path, e.what()));
  }
}

ReferenceList read_mtz_reference(const std::string& path) {
  gemmi::Mtz mtz;
  try {
    mtz = gemmi::read_mtz_file(path);
  } catch (const std::exception& e) {
    throw InputError(fmt::format("cannot read the reference MTZ '{}': {}", path, e.what()));
  }
  ReferenceList out;
  const gemmi::Mtz::Column* column = mtz.imean_column();
  bool squared = false;
  if (!column) {
    for (const gemmi::Mtz::Column& c : mtz.columns) {
      if (c.type == 'J' && !column) column = &c;
    }
  }
  if (!column) {
    for (const gemmi::Mtz::Column& c : mtz.columns) {
      if (c.type == 'F' && !column) column = &c, squared = true;
    }
  }
  if (!column || mtz.columns.size() < 3) {
    throw InputError(fmt::format("the reference MTZ '{}' has no intensity (J) or amplitude (F) column", path));
  }
  const gemmi::UnitCell& c = mtz.get_cell();
  out.cell = {c.a, c.b, c.c, c.alpha, c.beta, c.gamma};
  out.space_group = mtz.spacegroup ? mtz.spacegroup->hm : "";
  out.column = squared ? column->label + "^2" : column->label;
  for (std::size_t r = 0; r < static_cast<std::size_t>(mtz.nreflections); ++r) {
    const double v = (*column)[r];
    if (!std::isfinite(v)) continue;
    out.hkl.push_back({static_cast<int>(mtz.columns[0][r]), static_cast<int>(mtz.columns[1][r]),
                       static_cast<int>(mtz.columns[2][r])});
    out.intensity.push_back(squared ? v * v : v);
  }
  if (out.hkl.empty()) throw InputError(fmt::format("the reference MTZ '{}' holds no reflection", path));
  return out;
}

void write_crystfel_hkl(const std::string& path, const std::vector<MergedRow>& rows, const MergedListInfo& info) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "w"), std::fclose);
  if (!f) throw InputError(fmt::format("cannot write the reflection list '{}'", path));
  fmt::print(f.get(), "CrystFEL reflection list version 2.0\nSymmetry: {}\n", info.point_group);
  fmt::print(f.get(), "   h    k    l          I    phase   sigma(I)   nmeas\n");
  for (const MergedRow& r : rows) {
    // CrystFEL keeps Friedel mates of anomalous data as their own indices.
    const int s = r.minus ? -1 : 1;
    fmt::print(f.get(), "{:4d} {:4d} {:4d} {:10.2f} {:>8} {:10.2f} {:7d}\n", s * r.hkl[0], s * r.hkl[1], s * r.hkl[2],
               r.intensity, "-", r.sigma, r.observations);
  }
  fmt::print(f.get(), "End of reflections\n");
  if (std::fflush(f.get()) != 0 || std::ferror(f.get())) {
    throw InputError(fmt::format("cannot write the reflection list '{}'", path));
  }
}

}  // namespace xpulse::io
