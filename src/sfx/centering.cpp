#include "sfx/centering.h"

#include <cctype>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "core/shape.h"

namespace xpulse::sfx {
namespace {

bool same_length(double x, double y) { return std::abs(x - y) <= 1e-3 * std::max(x, y); }
bool same_angle(double x, double y) { return std::abs(x - y) <= 0.01; }

std::string allowed_letters(LatticeSystem s) {
  switch (s) {
    case LatticeSystem::triclinic: return "P";
    case LatticeSystem::monoclinic: return "P, A, B, C, I";
    case LatticeSystem::orthorhombic: return "P, A, B, C, I, F";
    case LatticeSystem::tetragonal: return "P, I";
    case LatticeSystem::rhombohedral: return "P";
    case LatticeSystem::hexagonal: return "P, R";
    case LatticeSystem::cubic: return "P, I, F";
  }
  return "P";
}

}  // namespace

Centering parse_centering(const std::string& text) {
  static const std::string letters = "PABCIFR";
  if (text.size() == 1) {
    const auto at = letters.find(static_cast<char>(std::toupper(static_cast<unsigned char>(text[0]))));
    if (at != std::string::npos) return static_cast<Centering>(at);
  }
  throw InvalidArgument(fmt::format("--centering must be one of P, A, B, C, I, F, R; got '{}'", text));
}

char centering_letter(Centering c) { return "PABCIFR"[static_cast<int>(c)]; }

const char* lattice_system_name(LatticeSystem s) {
  static const char* names[] = {"triclinic", "monoclinic", "orthorhombic", "tetragonal",
                                "rhombohedral", "hexagonal", "cubic"};
  return names[static_cast<int>(s)];
}

LatticeSystem lattice_system(const geometry::UnitCell& c) {
  const bool ab = same_length(c.a, c.b), bc = same_length(c.b, c.c);
  const bool al90 = same_angle(c.alpha, 90), be90 = same_angle(c.beta, 90), ga90 = same_angle(c.gamma, 90);
  if (al90 && be90 && ga90) {
    if (ab && bc) return LatticeSystem::cubic;
    if (ab) return LatticeSystem::tetragonal;
    return LatticeSystem::orthorhombic;
  }
  if (al90 && be90 && same_angle(c.gamma, 120) && ab) return LatticeSystem::hexagonal;
  if (ab && bc && same_angle(c.alpha, c.beta) && same_angle(c.beta, c.gamma)) return LatticeSystem::rhombohedral;
  if ((al90 && ga90) || (al90 && be90) || (be90 && ga90)) return LatticeSystem::monoclinic;
  return LatticeSystem::triclinic;
}

void check_centering(const geometry::UnitCell& cell, Centering centering) {
  const LatticeSystem s = lattice_system(cell);
  const std::string allowed = allowed_letters(s);
  if (allowed.find(centering_letter(centering)) == std::string::npos) {
    throw InvalidArgument(fmt::format("--centering {} is impossible for the {} cell {:g},{:g},{:g},{:g},{:g},{:g}: "
                                      "a {} lattice allows {}",
                                      centering_letter(centering), lattice_system_name(s), cell.a, cell.b, cell.c,
                                      cell.alpha, cell.beta, cell.gamma, lattice_system_name(s), allowed));
  }
}

geometry::UnitCell parse_cell(const std::string& text) {
  const std::vector<double> v =
      parse_number_list(text, "--cell", " (expected a,b,c,alpha,beta,gamma in Angstrom and degrees)");
  if (v.size() != 6) {
    throw InvalidArgument(fmt::format("--cell '{}' has {} values; expected 6: a,b,c,alpha,beta,gamma in Angstrom "
                                      "and degrees", text, v.size()));
  }
  geometry::UnitCell cell{v[0], v[1], v[2], v[3], v[4], v[5]};
  try {
    cell.validate();
  } catch (const InputError& e) {
    throw InvalidArgument(fmt::format("--cell '{}': {}", text, e.what()));
  }
  return cell;
}

}  // namespace xpulse::sfx
