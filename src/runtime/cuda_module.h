#pragma once
// The CUDA backends live in a module loaded on demand, libxpulse_cuda.so (built from cuda/ when nvcc is found),
// so that the xpulse binary, the library and the Python extension link no CUDA library: they start in
// milliseconds on any machine, and the module (with the CUDA runtime, cuFFT and cuBLAS) is loaded only when a
// GPU will be used (ARCHITECTURE.md: runtime layer).
//
// Where the module is looked for, in order: the file $XPULSE_CUDA_MODULE; beside libxpulse.so (build/lib in the
// build tree, the library folder of an install). The module must come from the same build (its ABI number and version
// are checked). Each backend declares its entry point's signature in its own header and gets it here by name.
#include <string>

namespace xpulse::runtime {

// The module's ABI: bumped whenever an entry point's signature changes.
constexpr int kCudaModuleAbi = 1;

// The module's path, or "" when none of the places holds one (nothing is loaded).
std::string cuda_module_path();
// Loads the module (once); "" when it is loaded, else why it cannot be.
std::string load_cuda_module();
// The module's entry point `name` (an extern "C" function), loading the module first; InputError saying why
// when the module cannot be loaded, Error when it lacks the entry point.
void* cuda_module_symbol(const char* name);

template <class Function>
Function* cuda_module_function(const char* name) {
  return reinterpret_cast<Function*>(cuda_module_symbol(name));
}

}  // namespace xpulse::runtime
