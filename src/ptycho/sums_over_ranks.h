#pragma once
// Float sums of the engines added over MPI ranks (in double, then rounded back once).
#include <span>
#include <vector>

#include "ptycho/frame_fft.h"
#include "runtime/world.h"

namespace xpulse::ptycho {

inline void sum_over_ranks(runtime::World& world, std::span<float> values) {
  if (!world.distributed()) return;
  std::vector<double> wide(values.begin(), values.end());
  world.sum_all(std::span<double>(wide));
  for (std::size_t k = 0; k < wide.size(); ++k) values[k] = static_cast<float>(wide[k]);
}

inline void sum_over_ranks(runtime::World& world, std::span<cfloat> values) {
  sum_over_ranks(world, std::span<float>(reinterpret_cast<float*>(values.data()), 2 * values.size()));
}

}  // namespace xpulse::ptycho
