#pragma once
// The engines' double sums added over MPI ranks.
#include <span>
#include <vector>

#include "ptycho/problem.h"
#include "runtime/world.h"

namespace xpulse::ptycho {

inline void sum_over_ranks(runtime::World& world, std::span<double> values) { world.sum_all(values); }

inline void sum_over_ranks(runtime::World& world, std::span<cdouble> values) {
  world.sum_all(std::span<double>(reinterpret_cast<double*>(values.data()), 2 * values.size()));
}

}  // namespace xpulse::ptycho
