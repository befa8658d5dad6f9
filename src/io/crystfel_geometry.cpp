#include "io/crystfel_geometry.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::io {
namespace {

// Keys of a panel (also allowed at the top level as defaults for every panel).
const std::set<std::string>& panel_keys() {
  static const std::set<std::string> keys = {
      "min_fs", "max_fs", "min_ss", "max_ss", "corner_x", "corner_y", "fs", "ss", "res", "clen", "coffset",
      "adu_per_eV", "adu_per_photon", "max_adu", "data", "mask", "mask_file", "mask_good", "mask_bad",
      "saturation_map", "saturation_map_file", "no_index", "photon_energy", "photon_energy_scale", "bandwidth",
      "flag_lessthan", "flag_morethan", "flag_equal", "badrow_direction", "panel_group"};
  return keys;
}
// Keys allowed only at the top level.
const std::set<std::string>& global_keys() {
  static const std::set<std::string> keys = {"photon_energy_bandwidth", "detector_shift_x", "detector_shift_y",
                                             "peak_list", "peak_list_type", "wavelength", "electron_voltage",
                                             "clen_for_centering", "hdf5_peak_path"};
  return keys;
}
const std::set<std::string>& bad_region_keys() {
  static const std::set<std::string> keys = {"min_x", "max_x", "min_y", "max_y", "min_fs", "max_fs",
                                             "min_ss", "max_ss", "panel"};
  return keys;
}

bool known_panel_key(const std::string& key) {
  static const std::regex numbered(R"((dim\d+)|(mask\d+_(data|file|goodbits|badbits)))");
  return panel_keys().count(key) > 0 || std::regex_match(key, numbered);
}

std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

void put(KeyValues& into, const std::string& key, const std::string& value, const std::string& where) {
  for (const auto& [k, v] : into) {
    if (k == key) throw InputError(fmt::format("{}: '{}' is set twice", where, key));
  }
  into.emplace_back(key, value);
}

CrystfelGeometry::Section& section(std::vector<CrystfelGeometry::Section>& list, const std::string& name) {
  for (auto& s : list) {
    if (s.name == name) return s;
  }
  list.push_back({name, {}});
  return list.back();
}

double number(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  double v = NAN;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v)) {
    throw InputError(fmt::format("{} is '{}', not a number", what, text));
  }
  return v;
}

// "+0.5x -0.866y +0.01z", "x", "-y": a lab vector in pixels.
geometry::Vec3 direction(const std::string& text, const std::string& what) {
  geometry::Vec3 v{0.0, 0.0, 0.0};
  std::string s;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) s += c;
  }
  std::size_t i = 0;
  bool any = false;
  while (i < s.size()) {
    std::size_t j = i;
    if (s[j] == '+' || s[j] == '-') ++j;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == 'e' ||
                            s[j] == 'E' || ((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E')))) {
      ++j;
    }
    if (j >= s.size() || (s[j] != 'x' && s[j] != 'y' && s[j] != 'z')) {
      throw InputError(fmt::format("{} is '{}'; expected terms like +0.5x -0.866y", what, text));
    }
    std::string coefficient = s.substr(i, j - i);
    if (coefficient.empty() || coefficient == "+") coefficient = "1";
    if (coefficient == "-") coefficient = "-1";
    v[static_cast<std::size_t>(s[j] - 'x')] += number(coefficient, what);
    any = true;
    i = j + 1;
  }
  if (!any) throw InputError(fmt::format("{} is empty", what));
  return v;
}

}  // namespace

std::string CrystfelGeometry::value(const Section& panel, const std::string& key) const {
  for (const auto& [k, v] : panel.keys) {
    if (k == key) return v;
  }
  for (const auto& [k, v] : globals) {
    if (k == key) return v;
  }
  return "";
}

CrystfelGeometry parse_crystfel_geometry(const std::string& text, const std::string& source) {
  CrystfelGeometry g;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = fmt::format("{} line {}", source, number);
    const std::size_t comment = line.find(';');
    if (comment != std::string::npos) line.erase(comment);
    line = trim(line);
    if (line.empty()) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) throw InputError(fmt::format("{}: expected 'key = value', got '{}'", where, line));
    const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (key.empty() || value.empty()) throw InputError(fmt::format("{}: expected 'key = value', got '{}'", where, line));
    const std::size_t slash = key.find('/');
    if (slash == std::string::npos) {
      if (key.rfind("rigid_group", 0) == 0) {
        put(g.groups, key, value, where);
      } else if (known_panel_key(key) || global_keys().count(key) > 0) {
        put(g.globals, key, value, where);
      } else {
        throw InputError(fmt::format("{}: unknown key '{}'", where, key));
      }
      continue;
    }
    const std::string owner = key.substr(0, slash), field = key.substr(slash + 1);
    if (owner.empty() || field.empty() || field.find('/') != std::string::npos) {
      throw InputError(fmt::format("{}: malformed key '{}'", where, key));
    }
    if (owner.rfind("bad", 0) == 0) {
      if (bad_region_keys().count(field) == 0) throw InputError(fmt::format("{}: unknown bad-region key '{}'", where, field));
      put(section(g.bad_regions, owner).keys, field, value, where);
    } else {
      if (!known_panel_key(field)) throw InputError(fmt::format("{}: unknown panel key '{}'", where, field));
      put(section(g.panels, owner).keys, field, value, where);
    }
  }
  if (g.panels.empty()) throw InputError(fmt::format("{}: no panels (lines like 'p0/min_fs = 0')", source));
  return g;
}

CrystfelGeometry read_crystfel_geometry(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("cannot read geometry file '{}'", path));
  std::stringstream text;
  text << in.rdbuf();
  return parse_crystfel_geometry(text.str(), path);
}

std::string format_crystfel_geometry(const CrystfelGeometry& g) {
  std::string out = "; CrystFEL geometry file written by xpulse\n";
  for (const auto& [k, v] : g.globals) out += fmt::format("{} = {}\n", k, v);
  for (const auto& [k, v] : g.groups) out += fmt::format("{} = {}\n", k, v);
  for (const auto& p : g.panels) {
    out += "\n";
    for (const auto& [k, v] : p.keys) out += fmt::format("{}/{} = {}\n", p.name, k, v);
  }
  for (const auto& b : g.bad_regions) {
    out += "\n";
    for (const auto& [k, v] : b.keys) out += fmt::format("{}/{} = {}\n", b.name, k, v);
  }
  return out;
}

void write_crystfel_geometry(const CrystfelGeometry& geometry, const std::string& path) {
  std::ofstream out(path);
  out << format_crystfel_geometry(geometry);
  if (!out.flush()) throw IoError(fmt::format("cannot write geometry file '{}'", path));
}

namespace {

// A bad region is a lab box (min_x, max_x, min_y, max_y) or a stored block (min_fs ... max_ss) with its panel,
// never a mix; every bound of the kind chosen must be given.
geometry::BadRegion resolve_bad_region(const CrystfelGeometry::Section& b, const geometry::PanelDetector& d) {
  const auto value = [&](const std::string& key) -> std::string {
    for (const auto& [k, v] : b.keys) {
      if (k == key) return v;
    }
    return "";
  };
  const auto has = [&](std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
      if (!value(k).empty()) return true;
    }
    return false;
  };
  const bool lab = has({"min_x", "max_x", "min_y", "max_y"}), stored = has({"min_fs", "max_fs", "min_ss", "max_ss"});
  if (lab == stored) {
    throw InputError(fmt::format("bad region '{}' must give either min_x, max_x, min_y, max_y or min_fs, max_fs, "
                                 "min_ss, max_ss (and panel)", b.name));
  }
  geometry::BadRegion r;
  r.name = b.name;
  r.in_lab = lab;
  r.panel = value("panel");
  if (!r.panel.empty() && std::none_of(d.panels.begin(), d.panels.end(),
                                       [&](const geometry::Panel& p) { return p.name == r.panel; })) {
    throw InputError(fmt::format("bad region '{}' names panel '{}', which the file does not define", b.name, r.panel));
  }
  const auto bound = [&](const char* key) {
    const std::string v = value(key);
    if (v.empty()) throw InputError(fmt::format("bad region '{}' has no {}", b.name, key));
    return number(v, fmt::format("bad region '{}' {}", b.name, key));
  };
  if (lab) {
    r.min_x = bound("min_x"), r.max_x = bound("max_x"), r.min_y = bound("min_y"), r.max_y = bound("max_y");
  } else {
    if (r.panel.empty()) throw InputError(fmt::format("bad region '{}' is in fs/ss and names no panel", b.name));
    r.min_fs = static_cast<int>(bound("min_fs")), r.max_fs = static_cast<int>(bound("max_fs"));
    r.min_ss = static_cast<int>(bound("min_ss")), r.max_ss = static_cast<int>(bound("max_ss"));
  }
  return r;
}

}  // namespace

geometry::PanelDetector resolve_panels(const CrystfelGeometry& g) {
  geometry::PanelDetector d;
  for (const auto& s : g.panels) {
    geometry::Panel p;
    p.name = s.name;
    auto required = [&](const std::string& key) {
      const std::string v = g.value(s, key);
      if (v.empty()) throw InputError(fmt::format("panel '{}' has no {}", s.name, key));
      return v;
    };
    auto integer = [&](const std::string& key) {
      const double v = number(required(key), fmt::format("panel '{}' {}", s.name, key));
      if (v != std::floor(v) || v < 0) throw InputError(fmt::format("panel '{}' {} must be a whole number >= 0", s.name, key));
      return static_cast<int>(v);
    };
    p.min_fs = integer("min_fs");
    p.max_fs = integer("max_fs");
    p.min_ss = integer("min_ss");
    p.max_ss = integer("max_ss");
    if (p.max_fs < p.min_fs || p.max_ss < p.min_ss) throw InputError(fmt::format("panel '{}' is empty", s.name));
    p.corner_x = number(required("corner_x"), fmt::format("panel '{}' corner_x", s.name));
    p.corner_y = number(required("corner_y"), fmt::format("panel '{}' corner_y", s.name));
    p.res = number(required("res"), fmt::format("panel '{}' res", s.name));
    if (!(p.res > 0.0)) throw InputError(fmt::format("panel '{}' res must be positive (pixels per metre)", s.name));
    const std::string fs = g.value(s, "fs"), ss = g.value(s, "ss");
    if (!fs.empty()) p.fs = direction(fs, fmt::format("panel '{}' fs", s.name));
    if (!ss.empty()) p.ss = direction(ss, fmt::format("panel '{}' ss", s.name));
    const std::string clen = required("clen");
    if (!clen.empty() && clen[0] == '/') {
      p.clen_path = clen;
    } else {
      p.clen = number(clen, fmt::format("panel '{}' clen", s.name));
    }
    const std::string coffset = g.value(s, "coffset");
    if (!coffset.empty()) p.coffset = number(coffset, fmt::format("panel '{}' coffset", s.name));
    const std::string no_index = g.value(s, "no_index");
    p.no_index = !no_index.empty() && number(no_index, fmt::format("panel '{}' no_index", s.name)) != 0.0;
    for (const geometry::Panel& other : d.panels) {
      if (p.min_fs <= other.max_fs && other.min_fs <= p.max_fs && p.min_ss <= other.max_ss && other.min_ss <= p.max_ss) {
        throw InputError(fmt::format("panels '{}' and '{}' cover the same stored pixels", other.name, p.name));
      }
    }
    d.panels.push_back(p);
  }
  for (const auto& b : g.bad_regions) d.bad_regions.push_back(resolve_bad_region(b, d));
  return d;
}

}  // namespace xpulse::io
