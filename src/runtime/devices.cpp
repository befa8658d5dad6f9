#include "runtime/devices.h"

#include <charconv>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::runtime {

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
