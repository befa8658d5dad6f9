#include "sim/form_factors.h"

#include <cctype>
#include <cmath>
#include <numbers>

#include <fmt/format.h>
#include <xraylib.h>

#include "core/error.h"

namespace xpulse::sim {
namespace {

std::string take_message(xrl_error* error) {
  std::string m = error != nullptr && error->message != nullptr ? error->message : "unknown xraylib error";
  xrl_clear_error(&error);
  return m;
}

}  // namespace

int atomic_number(const std::string& symbol) {
  // xraylib wants "Zn": first letter upper case, the rest lower case.
  std::string s = symbol;
  for (std::size_t i = 0; i < s.size(); ++i) {
    s[i] = static_cast<char>(i == 0 ? std::toupper(static_cast<unsigned char>(s[i])) : std::tolower(static_cast<unsigned char>(s[i])));
  }
  xrl_error* error = nullptr;
  const int z = SymbolToAtomicNumber(s.c_str(), &error);
  if (error != nullptr || z <= 0) {
    take_message(error);
    throw InputError(fmt::format("unknown element '{}'", symbol));
  }
  return z;
}

double atomic_form_factor(int z, double q) {
  xrl_error* error = nullptr;
  const double f = FF_Rayl(z, q / (4.0 * std::numbers::pi), &error);
  if (error != nullptr) throw InputError(fmt::format("xraylib: form factor of Z = {}: {}", z, take_message(error)));
  return f;
}

FormFactorTable::FormFactorTable(int z, double q_max) : z_(z), table_(8192) {
  if (!(q_max > 0) || !std::isfinite(q_max)) throw InvalidArgument(fmt::format("q_max = {} must be > 0", q_max));
  step_ = q_max / static_cast<double>(table_.size() - 1);
  for (std::size_t i = 0; i < table_.size(); ++i) table_[i] = atomic_form_factor(z, static_cast<double>(i) * step_);
}

}  // namespace xpulse::sim
