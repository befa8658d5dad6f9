// xpulse: one binary, subcommands. The library throws typed errors; only here do they become a one-line
// message and an exit code (2 = bad input or usage, 1 = internal failure).
#include <cstdio>
#include <exception>

#include "cli.h"
#include "core/error.h"

int main(int argc, char** argv) {
  try {
    return xpulse::cli::run(argc, argv);
  } catch (const xpulse::InputError& e) {
    std::fprintf(stderr, "xpulse: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xpulse: error: internal: %s\n", e.what());
    return 1;
  }
}
