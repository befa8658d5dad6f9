// Device queries of a build without the CUDA backends.
#include "runtime/devices.h"

namespace xpulse::runtime {

bool cuda_built() { return false; }
int cuda_device_count() { return 0; }
std::string cuda_device_name(int) { return ""; }
std::string cuda_unavailable_reason() {
  return "this xpulse was built without CUDA (no nvcc at configure time)";
}

}  // namespace xpulse::runtime
