// The CUDA module's identity and device queries (runtime/cuda_module.h, runtime/devices.h).
#include <cuda_runtime.h>
#include <cstdio>
#include <string>

#include "../common/device_info.h"
#include "runtime/cuda_module.h"
#include "xpulse/version.h"

namespace xpulse::cuda {

std::string device_name(int index) {
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, index) != cudaSuccess) return "CUDA device " + std::to_string(index);
  char text[320];
  std::snprintf(text, sizeof text, "%s (sm_%d%d, %.1f GiB)", p.name, p.major, p.minor,
                static_cast<double>(p.totalGlobalMem) / (1u << 30));
  return text;
}

}  // namespace xpulse::cuda

extern "C" {

int xpulse_cuda_module_abi() { return xpulse::runtime::kCudaModuleAbi; }
const char* xpulse_cuda_module_version() { return xpulse::kVersion; }

int xpulse_cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver / no device" error
    return 0;
  }
  return count;
}

std::string xpulse_cuda_device_name(int index) { return xpulse::cuda::device_name(index); }

std::string xpulse_cuda_unavailable_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return std::string("no CUDA device is available (") + cudaGetErrorString(status) + ")";
  }
  if (count == 0) return "no CUDA device is available";
  return "";
}

}  // extern "C"
