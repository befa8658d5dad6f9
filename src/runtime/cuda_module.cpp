#include "runtime/cuda_module.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>

#include "core/error.h"
#include "xpulse/version.h"

namespace xpulse::runtime {
namespace {

// Set by the build: whether nvcc built the module.
constexpr bool kCudaBuilt = XPULSE_CUDA_BUILT;
constexpr const char* kModuleName = "libxpulse_cuda.so";

struct Module {
  std::once_flag once;
  void* handle = nullptr;
  std::string error;
};

Module& module() {
  static Module m;
  return m;
}

// The folder of the file this function was loaded from: libxpulse.so (or whatever links its objects).
std::filesystem::path library_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&library_folder), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  const auto file = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? std::filesystem::path{} : file.parent_path();
}

std::string not_found() {
  if (!kCudaBuilt) return "this xpulse was built without CUDA (no nvcc at configure time)";
  return fmt::format("the CUDA module was not found (looked for {} in '{}', beside libxpulse; XPULSE_CUDA_MODULE "
                     "names another)",
                     kModuleName, library_folder().string());
}

void load(Module& m) {
  const std::string path = cuda_module_path();
  if (path.empty()) {
    m.error = not_found();
    return;
  }
  // RTLD_LOCAL: the module's copies of the CUDA libraries' symbols stay its own.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    m.error = fmt::format("the CUDA module '{}' could not be loaded: {}", path, dlerror());
    return;
  }
  using Abi = int();
  using Version = const char*();
  auto* abi = reinterpret_cast<Abi*>(dlsym(handle, "xpulse_cuda_module_abi"));
  auto* version = reinterpret_cast<Version*>(dlsym(handle, "xpulse_cuda_module_version"));
  if (abi == nullptr || version == nullptr || abi() != kCudaModuleAbi || std::strcmp(version(), kVersion) != 0) {
    m.error = fmt::format("the CUDA module '{}' is from another xpulse build (ABI {}, version {}; this xpulse: ABI {}, "
                          "version {})",
                          path, abi ? abi() : 0, version ? version() : "unknown", kCudaModuleAbi, kVersion);
    dlclose(handle);
    return;
  }
  m.handle = handle;
}

}  // namespace

std::string cuda_module_path() {
  if (const char* given = std::getenv("XPULSE_CUDA_MODULE"); given != nullptr && *given != '\0') return given;
  if (!kCudaBuilt) return "";
  const std::filesystem::path folder = library_folder();
  if (folder.empty()) return "";
  std::error_code ec;
  const auto beside = folder / kModuleName;
  return std::filesystem::is_regular_file(beside, ec) ? beside.string() : "";
}

std::string load_cuda_module() {
  Module& m = module();
  std::call_once(m.once, [&] { load(m); });
  return m.error;
}

void* cuda_module_symbol(const char* name) {
  if (const std::string why = load_cuda_module(); !why.empty()) throw InputError(why);
  void* symbol = dlsym(module().handle, name);
  if (symbol == nullptr) throw Error(fmt::format("the CUDA module lacks its entry point '{}'", name));
  return symbol;
}

}  // namespace xpulse::runtime
