// Default AddressSanitizer options of sanitizer builds (-DXPULSE_SANITIZE): leaks are checked, except in the
// ranks of an MPI job, where Open MPI's process-lifetime allocations are reported through libraries built
// without frame pointers, one frame deep, so that no suppression can name them. ASAN_OPTIONS overrides this.
#include <cstdlib>

extern "C" const char* __asan_default_options() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr ? "detect_leaks=0" : "detect_leaks=1";
}
