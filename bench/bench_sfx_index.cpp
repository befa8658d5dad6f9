// Known-cell indexing and lattice refinement of still peaks on one core (sfx/known_cell_indexer.h,
// sfx/lattice_refinement.h): peaks of a lattice in a random orientation on a 512x512 detector at 8 cm (9.5 keV,
// 150 um pixels), within 5e-4/A of the Ewald sphere, centroids jittered by 0.3 pixel; 16 frames, round robin.
// items_per_second is frames per second: the goal is indexing alone <= 10 ms per frame per core.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "sfx/known_cell_indexer.h"
#include "sfx/lattice_refinement.h"
#include "still_peaks.h"

namespace {

using namespace xpulse;

struct Frames {
  geometry::UnitCell cell;
  sfx::Centering centering;
  std::vector<sfx::testing::StillPeaks> peaks;
};

Frames make_frames(const geometry::UnitCell& cell, sfx::Centering centering, int lattices) {
  Frames f{cell, centering, {}};
  geometry::Detector d = sfx::testing::still_detector();
  d.distance_m = 0.08;
  std::mt19937_64 random(17);
  for (int i = 0; i < 16; ++i) {
    sfx::testing::StillPeaks all;
    for (int l = 0; l < lattices; ++l) {
      const auto p = sfx::testing::still_peaks(cell, sfx::testing::random_rotation(random), centering, d, 5e-4, 0.3, random);
      all.s.insert(all.s.end(), p.s.begin(), p.s.end());
      all.hkl.insert(all.hkl.end(), p.hkl.begin(), p.hkl.end());
    }
    f.peaks.push_back(all);
  }
  return f;
}

void index(benchmark::State& state, const Frames& f, std::size_t lattices) {
  const sfx::KnownCellIndexer indexer(f.cell, f.centering, {});
  std::size_t i = 0, found = 0, peaks = 0;
  for (auto _ : state) {
    const auto& p = f.peaks[i++ % f.peaks.size()];
    const auto result = indexer.index(p.s, lattices);
    found += result.size(), peaks += p.s.size();
    benchmark::DoNotOptimize(result.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["lattices_per_frame"] = static_cast<double>(found) / static_cast<double>(state.iterations());
  state.counters["peaks_per_frame"] = static_cast<double>(peaks) / static_cast<double>(state.iterations());
}

void index_monoclinic(benchmark::State& state) {
  static const Frames f = make_frames({131.4, 88.7, 115.9, 90, 105.3, 90}, sfx::Centering::C, 1);
  index(state, f, 1);
}
BENCHMARK(index_monoclinic)->Name("index/monoclinic_C_131A")->Unit(benchmark::kMillisecond);

void index_orthorhombic(benchmark::State& state) {
  static const Frames f = make_frames({61, 74, 89, 90, 90, 90}, sfx::Centering::P, 1);
  index(state, f, 1);
}
BENCHMARK(index_orthorhombic)->Name("index/orthorhombic_P_89A")->Unit(benchmark::kMillisecond);

void index_two_lattices(benchmark::State& state) {
  static const Frames f = make_frames({131.4, 88.7, 115.9, 90, 105.3, 90}, sfx::Centering::C, 2);
  index(state, f, 2);
}
BENCHMARK(index_two_lattices)->Name("index/monoclinic_C_two_lattices_multi2")->Unit(benchmark::kMillisecond);

void refine(benchmark::State& state) {
  static const Frames f = make_frames({131.4, 88.7, 115.9, 90, 105.3, 90}, sfx::Centering::C, 1);
  geometry::Detector d = sfx::testing::still_detector();
  d.distance_m = 0.08;
  const sfx::KnownCellIndexer indexer(f.cell, f.centering, {});
  std::vector<std::vector<sfx::PeakObservation>> observed;
  std::vector<sfx::IndexedLattice> lattices;
  for (const auto& p : f.peaks) {
    const auto found = indexer.index(p.s, 1);
    if (found.empty()) continue;
    std::vector<sfx::PeakObservation> o;
    for (std::size_t i = 0; i < found[0].peaks.size(); ++i) {
      double x = 0, y = 0;
      sfx::s_to_pixel(d, p.s[found[0].peaks[i]], x, y);
      o.push_back({x, y, found[0].hkl[i]});
    }
    observed.push_back(o), lattices.push_back(found[0]);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ % lattices.size();
    const auto u = geometry::nearest_rotation(
        geometry::mul(lattices[k].ub, geometry::inverse(lattices[k].cell.b_matrix())));
    benchmark::DoNotOptimize(sfx::refine_lattice(d, u, lattices[k].cell, observed[k]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(refine)->Name("refine/monoclinic_C_131A")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
