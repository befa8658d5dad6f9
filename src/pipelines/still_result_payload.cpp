#include "pipelines/still_result_payload.h"

#include <cstdint>

namespace xpulse::pipelines {

void save_still_results(const std::vector<sfx::StillResult>& results, runtime::PayloadWriter& out) {
  out.put<std::uint64_t>(results.size());
  for (const sfx::StillResult& r : results) {
    out.put<std::uint8_t>(r.hit);
    out.put<std::uint64_t>(r.peaks.size());
    out.put(std::span<const sfx::Peak>(r.peaks));
    out.put<std::uint64_t>(r.lattices.size());
    for (const sfx::StillLattice& l : r.lattices) {
      out.put(l.ub), out.put(l.cell), out.put<std::uint64_t>(l.n_indexed), out.put(l.rms_px);
      out.put(l.profile_radius);
      out.put<std::uint64_t>(l.peaks.size());
      out.put(std::span<const std::uint32_t>(l.peaks));
    }
    out.put<std::uint64_t>(r.reflections.size());
    out.put(std::span<const sfx::StillReflection>(r.reflections));
  }
}

std::vector<sfx::StillResult> load_still_results(runtime::PayloadReader& in) {
  std::vector<sfx::StillResult> results(in.get<std::uint64_t>());
  for (sfx::StillResult& r : results) {
    r.hit = in.get<std::uint8_t>() != 0;
    r.peaks.resize(in.get<std::uint64_t>());
    in.get(std::span<sfx::Peak>(r.peaks));
    r.lattices.resize(in.get<std::uint64_t>());
    for (sfx::StillLattice& l : r.lattices) {
      l.ub = in.get<geometry::Mat3>(), l.cell = in.get<geometry::UnitCell>();
      l.n_indexed = in.get<std::uint64_t>(), l.rms_px = in.get<double>(), l.profile_radius = in.get<double>();
      l.peaks.resize(in.get<std::uint64_t>());
      in.get(std::span<std::uint32_t>(l.peaks));
    }
    r.reflections.resize(in.get<std::uint64_t>());
    in.get(std::span<sfx::StillReflection>(r.reflections));
  }
  return results;
}

}  // namespace xpulse::pipelines
