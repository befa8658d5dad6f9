#pragma once
// One field of every record of an iteration history (SPI generations, ptychography iterations) as a column of
// type T, for the /history/* datasets of an output.
#include <vector>

namespace xpulse::pipelines {

template <class T, class Record, class Field>
std::vector<T> history_column(const std::vector<Record>& history, Field Record::*field) {
  std::vector<T> out;
  out.reserve(history.size());
  for (const Record& r : history) out.push_back(static_cast<T>(r.*field));
  return out;
}

}  // namespace xpulse::pipelines
