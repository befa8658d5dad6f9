// A writer of the run-store concurrency tests, started once per rank by mpirun: every rank opens its own
// connection to LOCATION and records RUNS runs of UNITS work units and UNITS series points each, as jobs on
// several nodes writing to one shared database do.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "runtime/run_store.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: run_store_writer LOCATION RUNS UNITS\n");
    return 2;
  }
  const char* rank_text = std::getenv("OMPI_COMM_WORLD_RANK");
  const int rank = rank_text ? std::atoi(rank_text) : 0;
  const int runs = std::atoi(argv[2]), units = std::atoi(argv[3]);
  try {
    const auto store = xpulse::runtime::RunStore::open(argv[1]);
    for (int i = 0; i < runs; ++i) {
      xpulse::runtime::RunRecord r;
      r.command = "writer " + std::to_string(rank);
      r.started = xpulse::runtime::unix_now();
      const auto id = store->begin(r);
      std::vector<xpulse::runtime::WorkUnitRecord> work(units);
      std::vector<xpulse::runtime::SeriesPoint> points(units);
      for (int u = 0; u < units; ++u) {
        work[u] = {rank, "unit " + std::to_string(u), r.started, r.started + u, static_cast<std::uint64_t>(u)};
        points[u] = {"rate", static_cast<double>(u), 0.5 * u};
      }
      store->add_work_units(id, work);
      store->add_series(id, points);
      store->update(id, 0.5, "{}");
      store->finish(id, "finished", "", "{}", "[]", "[]");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "run_store_writer (rank %d): %s\n", rank, e.what());
    return 1;
  }
  return 0;
}
