#include "runtime/devices.h"

#include <dlfcn.h>

#include <charconv>

#include <fmt/format.h>

#include "core/error.h"
#include "runtime/cuda_module.h"

namespace xpulse::runtime {
namespace {

// What the NVIDIA driver says, asked directly (libcuda.so.1, cuInit, cuDeviceGetCount) so that the CUDA module
// is loaded only when a device is there.
struct Driver {
  int devices = 0;
  std::string reason;  // why there is none
};

const Driver& driver() {
  static const Driver state = [] {
    Driver d;
    void* handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      d.reason = "no NVIDIA driver was found (libcuda.so.1 cannot be loaded)";
      return d;
    }
    using Init = int(unsigned);
    using Count = int(int*);
    auto* init = reinterpret_cast<Init*>(dlsym(handle, "cuInit"));
    auto* count = reinterpret_cast<Count*>(dlsym(handle, "cuDeviceGetCount"));
    if (init == nullptr || count == nullptr) {
      d.reason = "the NVIDIA driver library lacks cuInit or cuDeviceGetCount";
    } else if (const int status = init(0); status != 0) {
      d.reason = fmt::format("the NVIDIA driver could not start (cuInit error {})", status);
    } else if (count(&d.devices) != 0 || d.devices <= 0) {
      d.devices = 0, d.reason = "the NVIDIA driver reports no CUDA device";
    }
    return d;  // the driver stays loaded: the module's CUDA runtime uses it
  }();
  return state;
}

}  // namespace

bool cuda_built() { return !cuda_module_path().empty(); }

int cuda_device_count() {
  if (!cuda_built() || driver().devices == 0 || !load_cuda_module().empty()) return 0;
  return cuda_module_function<int()>("xpulse_cuda_device_count")();
}

std::string cuda_device_name(int index) {
  if (cuda_device_count() == 0) return "";
  return cuda_module_function<std::string(int)>("xpulse_cuda_device_name")(index);
}

std::string cuda_unavailable_reason() {
  if (!cuda_built()) return load_cuda_module();
  if (driver().devices == 0) return driver().reason;
  if (std::string why = load_cuda_module(); !why.empty()) return why;
  return cuda_module_function<std::string()>("xpulse_cuda_unavailable_reason")();
}

Device parse_device(std::string_view name) {
  if (name == "cpu") return Device::cpu;
  if (name == "cuda") return Device::cuda;
  if (name == "auto") return Device::auto_select;
  throw InvalidArgument(fmt::format("--device '{}' is not known; use cpu, cuda or auto", name));
}

std::string_view to_string(Device device) {
  switch (device) {
    case Device::cpu: return "cpu";
    case Device::cuda: return "cuda";
    case Device::auto_select: return "auto";
  }
  return "";
}

void throw_no_cuda_device() { throw InputError(cuda_unavailable_reason()); }

std::string cpu_fallback_note(std::string_view device) {
  if (parse_device(device) != Device::auto_select || cuda_device_count() > 0) return "";
  return "no GPU: " + cuda_unavailable_reason();
}

int select_cuda_device(std::string_view device, int gpu) {
  const Device d = parse_device(device);
  if (d == Device::cpu) return -1;
  const int count = cuda_device_count();
  if (count == 0) {
    if (d == Device::auto_select) return -1;
    throw InvalidArgument(fmt::format("--device cuda: no CUDA device can be used ({})", cuda_unavailable_reason()));
  }
  if (gpu < 0 || gpu >= count) {
    throw InvalidArgument(fmt::format("--gpu {}: this machine has {} CUDA device{} (0 to {})", gpu, count,
                                      count == 1 ? "" : "s", count - 1));
  }
  return gpu;
}

std::vector<int> parse_gpu_list(std::string_view text) {
  std::vector<int> ids;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view item = text.substr(pos, comma - pos);
    int id = -1;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || id < 0) {
      throw InvalidArgument(fmt::format("--gpus '{}' is not a list of device numbers such as 0,1", text));
    }
    for (int seen : ids) {
      if (seen == id) throw InvalidArgument(fmt::format("--gpus '{}' names device {} twice", text, id));
    }
    ids.push_back(id);
    pos = comma + 1;
  }
  return ids;
}

}  // namespace xpulse::runtime
