// xpulse: one binary, subcommands. The library throws typed errors; only here do they become a one-line
// message and an exit code (2 = bad input or usage, 1 = internal failure). Under MPI every rank gets the same
// error (runtime/world.h) and exits with the same code; rank 0 prints it.
#include <cstdio>
#include <exception>
#include <memory>
#include <new>

#include "cli.h"
#include "core/error.h"
#include "runtime/world.h"

int main(int argc, char** argv) {
  std::unique_ptr<xpulse::runtime::MpiSession> mpi;
  try {
    mpi = std::make_unique<xpulse::runtime::MpiSession>(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xpulse: error: internal: %s\n", e.what());
    return 1;
  }
  const bool speaks = xpulse::runtime::World::get().is_root();
  try {
    return xpulse::cli::run(argc, argv);
  } catch (const xpulse::InputError& e) {
    if (speaks) std::fprintf(stderr, "xpulse: error: %s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    // What asked for the memory was the input's size or the options: the user's to change.
    if (speaks) std::fprintf(stderr, "xpulse: error: out of memory: the input or the options need more memory "
                                     "than this machine has\n");
    return 2;
  } catch (const std::exception& e) {
    if (speaks) std::fprintf(stderr, "xpulse: error: internal: %s\n", e.what());
    return 1;
  }
}
