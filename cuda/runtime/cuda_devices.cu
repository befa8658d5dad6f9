// Device queries of a build with the CUDA backends.
#include <cuda_runtime.h>
#include <cstdio>

#include "runtime/devices.h"

namespace xpulse::runtime {

bool cuda_built() { return true; }

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver / no device" error
    return 0;
  }
  return count;
}

std::string cuda_device_name(int index) {
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, index) != cudaSuccess) return "CUDA device " + std::to_string(index);
  char text[320];
  std::snprintf(text, sizeof text, "%s (sm_%d%d, %.1f GiB)", p.name, p.major, p.minor,
                static_cast<double>(p.totalGlobalMem) / (1u << 30));
  return text;
}

std::string cuda_unavailable_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return std::string("no CUDA device is available (") + cudaGetErrorString(status) + ")";
  }
  if (count == 0) return "no CUDA device is available";
  return "";
}

}  // namespace xpulse::runtime
