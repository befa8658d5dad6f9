#pragma once
// Device queries inside the CUDA module (the rest of xpulse asks through runtime/devices.h).
#include <string>

namespace xpulse::cuda {

std::string device_name(int index);  // "NVIDIA H200 (sm_90, 139.8 GiB)"

}  // namespace xpulse::cuda
