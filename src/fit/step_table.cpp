#include "fit/step_table.h"

#include <cmath>

namespace xpulse::fit {

StepTable StepTable::make(std::span<const double> t) {
  StepTable table;
  if (t.size() < 2) return table;
  table.index.assign(t.size(), 0);
  for (std::size_t k = 1; k < t.size(); ++k) {
    const double h = t[k] - t[k - 1];
    int found = -1;
    for (int s = 0; s < table.count && found < 0; ++s) {
      if (std::abs(h - table.step[s]) <= 1e-10 * std::abs(table.step[s])) found = s;
    }
    if (found < 0) {
      if (table.count == kMaxSteps) {
        table = StepTable{};
        return table;
      }
      found = table.count++;
      table.step[found] = h;
    }
    table.index[k] = static_cast<std::uint8_t>(found);
  }
  return table;
}

}  // namespace xpulse::fit
