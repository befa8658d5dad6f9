#pragma once
// Which compute devices this process can use: CUDA GPUs when the CUDA backends were built and a driver and
// device are present. Without CUDA support every query answers "none".
#include <string>
#include <string_view>
#include <vector>

namespace xpulse::runtime {

enum class Device { cpu, cuda, auto_select };
Device parse_device(std::string_view name);  // "cpu" | "cuda" | "auto"; throws InvalidArgument
std::string_view to_string(Device device);

bool cuda_built();            // the CUDA backends were compiled in
int cuda_device_count();      // 0 without CUDA, driver or device
std::string cuda_device_name(int index);  // "NVIDIA H200 (sm_90, 139.8 GiB)"
// Why no CUDA device can be used, for error messages ("" when one can).
std::string cuda_unavailable_reason();

// The CUDA device that `--device NAME --gpu INDEX` runs on, or -1 for the CPU: auto takes the GPU when one can be
// used; cuda without one, or an INDEX this machine lacks, is an InvalidArgument saying why.
int select_cuda_device(std::string_view device, int gpu);

// Parses "0,1" into device indices; throws InvalidArgument for a malformed list.
std::vector<int> parse_gpu_list(std::string_view text);

}  // namespace xpulse::runtime
