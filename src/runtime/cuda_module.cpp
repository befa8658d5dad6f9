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

// Set by the build: the module's path in the build tree ("" when CUDA was not built) and once installed.
constexpr const char* kBuildTreeModule = XPULSE_CUDA_MODULE_BUILD_TREE;
constexpr const char* kInstalledModule = XPULSE_CUDA_MODULE_INSTALLED;

struct Module {
  std::once_flag once;
  void* handle = nullptr;
  std::string error;
};

Module& module() {
  static Module m;
  return m;
}

std::string not_found() {
  if (std::strlen(kBuildTreeModule) == 0) return "this xpulse was built without CUDA (no nvcc at configure time)";
  return fmt::format("the CUDA module was not found (looked for '{}' and '{}'; XPULSE_CUDA_MODULE names another)",
                     kBuildTreeModule, kInstalledModule);
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
  for (const char* path : {kBuildTreeModule, kInstalledModule}) {
    std::error_code ec;
    if (*path != '\0' && std::filesystem::is_regular_file(path, ec)) return path;
  }
  return "";
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
