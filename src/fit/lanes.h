#pragma once
#include <cstddef>

namespace xpulse::fit {
// Traces fitted together, one per SIMD lane: one AVX-512 float vector, two AVX2 vectors.
inline constexpr int kLanes = 16;
}  // namespace xpulse::fit
