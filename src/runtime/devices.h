#pragma once
// Which compute devices this process can use: CUDA GPUs when the CUDA module (runtime/cuda_module.h) is there
// and a driver and a device are present. The driver is asked first, so the module is loaded only on a machine
// with a device. Otherwise every query answers "none", and cuda_unavailable_reason() says why.
#include <string>
#include <string_view>
#include <vector>

#include "runtime/cuda_module.h"

namespace xpulse::runtime {

enum class Device { cpu, cuda, auto_select };
Device parse_device(std::string_view name);  // "cpu" | "cuda" | "auto"; throws InvalidArgument
std::string_view to_string(Device device);

bool cuda_built();            // the CUDA module is there (built, and found; not yet loaded)
int cuda_device_count();      // 0 without CUDA, driver or device
std::string cuda_device_name(int index);  // "NVIDIA H200 (sm_90, 139.8 GiB)"
// Why no CUDA device can be used, for error messages ("" when one can).
std::string cuda_unavailable_reason();

// Why `--device auto` runs on the CPU, for summaries: "no GPU: <cuda_unavailable_reason()>"; "" for other
// devices or when a GPU can be used.
std::string cpu_fallback_note(std::string_view device);

// The CUDA device that `--device NAME --gpu INDEX` runs on, or -1 for the CPU: auto takes the GPU when one can be
// used; cuda without one, or an INDEX this machine lacks, is an InvalidArgument saying why.
int select_cuda_device(std::string_view device, int gpu);

// A CUDA backend's entry point in the CUDA module (runtime/cuda_module.h), loaded only when a device can be used:
// InputError(cuda_unavailable_reason()) otherwise.
[[noreturn]] void throw_no_cuda_device();
template <class Function>
Function* cuda_backend(const char* name) {
  if (cuda_device_count() == 0) throw_no_cuda_device();
  return reinterpret_cast<Function*>(cuda_module_symbol(name));
}

// Parses "0,1" into device indices; throws InvalidArgument for a malformed list.
std::vector<int> parse_gpu_list(std::string_view text);

}  // namespace xpulse::runtime
