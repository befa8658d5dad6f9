#pragma once
// The MPI launcher of the CLI tests (XPULSE_MPIEXEC, empty when xpulse was built without MPI).
#include <unistd.h>

#include <string>

namespace xpulse::testing {

inline std::string mpirun(int ranks) {
  // -q: no launcher banner, so a failed job prints only xpulse's line.
  std::string launcher = std::string(XPULSE_MPIEXEC) + " -q --oversubscribe";
  if (::geteuid() == 0) launcher += " --allow-run-as-root";
  return launcher + " -n " + std::to_string(ranks);
}

}  // namespace xpulse::testing

#define REQUIRE_MPI()                                                   \
  if (std::string(XPULSE_MPIEXEC).empty()) GTEST_SKIP() << "built without MPI"
