#include "io/pdb_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::io {
namespace {

std::string field(const std::string& line, std::size_t first, std::size_t last) {  // 1-based columns, inclusive
  if (line.size() < first) return {};
  std::string s = line.substr(first - 1, last - first + 1);
  const auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

double number(const std::string& text, const std::string& what, const std::string& path, std::size_t line_no) {
  double v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != end || !std::isfinite(v)) {
    throw InputError(fmt::format("{}:{}: {} '{}' is not a number", path, line_no, what, text));
  }
  return v;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The element when columns 77-78 are blank, from the atom name (columns 13-14 hold the element
// right-justified: " CA " is a C-alpha carbon, "CA  " calcium).
std::string element_from_name(const std::string& line) {
  if (line.size() < 14) return {};
  const char a = line[12], b = line[13];
  auto letter = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  if (letter(a) && letter(b)) return upper(std::string{a, b});
  if (letter(b)) return upper(std::string{b});
  if (letter(a)) return upper(std::string{a});
  return {};
}

}  // namespace

PdbStructure read_pdb(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("cannot open PDB file '{}'", path));
  PdbStructure s;
  std::string line;
  std::size_t line_no = 0;
  bool in_first_model = true, seen_model = false, in_biomolecule_1 = false;
  std::vector<std::array<double, 4>> biomt_rows;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string record = line.substr(0, std::min<std::size_t>(6, line.size()));
    if (record == "MODEL ") {
      in_first_model = !seen_model;
      seen_model = true;
    } else if (record == "ENDMDL") {
      in_first_model = false;
    } else if ((record == "ATOM  " || record == "HETATM") && in_first_model) {
      const std::string altloc = field(line, 17, 17);
      if (!altloc.empty() && altloc != "A" && altloc != "1") continue;
      PdbAtom a;
      a.position = {number(field(line, 31, 38), "x coordinate", path, line_no),
                    number(field(line, 39, 46), "y coordinate", path, line_no),
                    number(field(line, 47, 54), "z coordinate", path, line_no)};
      const std::string occupancy = field(line, 55, 60);
      a.occupancy = occupancy.empty() ? 1.0 : number(occupancy, "occupancy", path, line_no);
      a.element = upper(field(line, 77, 78));
      if (a.element.empty()) a.element = element_from_name(line);
      if (a.element.empty()) throw InputError(fmt::format("{}:{}: atom without an element", path, line_no));
      const std::string residue = field(line, 18, 20);
      a.water = residue == "HOH" || residue == "WAT" || residue == "DOD";
      s.atoms.push_back(std::move(a));
    } else if (record == "CRYST1") {
      PdbCell c;
      c.a = number(field(line, 7, 15), "cell a", path, line_no);
      c.b = number(field(line, 16, 24), "cell b", path, line_no);
      c.c = number(field(line, 25, 33), "cell c", path, line_no);
      c.alpha = number(field(line, 34, 40), "cell alpha", path, line_no);
      c.beta = number(field(line, 41, 47), "cell beta", path, line_no);
      c.gamma = number(field(line, 48, 54), "cell gamma", path, line_no);
      c.space_group = field(line, 56, 66);
      s.cell = c;
    } else if (record == "REMARK" && field(line, 8, 10) == "350") {
      const std::string text = line.size() > 11 ? line.substr(11) : std::string();
      if (text.find("BIOMOLECULE:") != std::string::npos) {
        in_biomolecule_1 = field(text, text.find(':') + 2, text.size()) == "1";
      } else if (in_biomolecule_1 && text.find("BIOMT") != std::string::npos) {
        // "  BIOMT1   1  1.000000  0.000000  0.000000        0.00000"
        std::istringstream fields(text.substr(text.find("BIOMT")));
        std::vector<std::string> tokens;
        for (std::string t; fields >> t;) tokens.push_back(t);
        if (tokens.size() != 6) throw InputError(fmt::format("{}:{}: malformed BIOMT record", path, line_no));
        biomt_rows.push_back({number(tokens[2], "BIOMT", path, line_no), number(tokens[3], "BIOMT", path, line_no),
                              number(tokens[4], "BIOMT", path, line_no), number(tokens[5], "BIOMT", path, line_no)});
      }
    }
  }
  if (in.bad()) throw IoError(fmt::format("error reading PDB file '{}'", path));
  if (s.atoms.empty()) throw InputError(fmt::format("PDB file '{}' has no ATOM or HETATM records", path));
  if (biomt_rows.size() % 3 != 0) {
    throw InputError(fmt::format("PDB file '{}': BIOMT operators of assembly 1 are incomplete ({} rows)", path,
                                 biomt_rows.size()));
  }
  for (std::size_t k = 0; k < biomt_rows.size(); k += 3) {
    PdbAssemblyOperator op;
    for (std::size_t r = 0; r < 3; ++r) {
      for (std::size_t c = 0; c < 3; ++c) op.rotation[r][c] = biomt_rows[k + r][c];
      op.translation[r] = biomt_rows[k + r][3];
    }
    s.assembly.push_back(op);
  }
  return s;
}

std::vector<PdbAtom> assembly_atoms(const PdbStructure& structure, bool include_water) {
  std::vector<PdbAtom> base;
  for (const PdbAtom& a : structure.atoms) {
    if (include_water || !a.water) base.push_back(a);
  }
  if (structure.assembly.empty()) return base;
  std::vector<PdbAtom> out;
  out.reserve(base.size() * structure.assembly.size());
  for (const PdbAssemblyOperator& op : structure.assembly) {
    for (PdbAtom a : base) {
      const auto p = a.position;
      for (std::size_t r = 0; r < 3; ++r) {
        a.position[r] = op.rotation[r][0] * p[0] + op.rotation[r][1] * p[1] + op.rotation[r][2] * p[2] + op.translation[r];
      }
      out.push_back(a);
    }
  }
  return out;
}

}  // namespace xpulse::io
