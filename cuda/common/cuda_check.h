#pragma once
// CUDA runtime errors become xpulse errors naming the call and the device's message. (No fmt in CUDA sources:
// nvcc cannot compile its headers.)
#include <string>
#include <utility>

#include <cuda_runtime.h>

#include "core/error.h"

namespace xpulse::cuda {

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw Error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(status) + " (" +
                cudaGetErrorName(status) + ")");
  }
}

// n elements of T in device memory, or in page-locked (pinned) host memory, freed on destruction.
template <class T, bool Pinned>
class CudaArray {
 public:
  CudaArray() = default;
  explicit CudaArray(std::size_t n) : n_(n) {
    if (n == 0) return;
    void** p = reinterpret_cast<void**>(&data_);
    if constexpr (Pinned) {
      check(cudaMallocHost(p, n * sizeof(T)), "cudaMallocHost");
    } else {
      check(cudaMalloc(p, n * sizeof(T)), "cudaMalloc");
    }
  }
  CudaArray(CudaArray&& o) noexcept { swap(o); }
  CudaArray& operator=(CudaArray&& o) noexcept {
    swap(o);
    return *this;
  }
  CudaArray(const CudaArray&) = delete;
  CudaArray& operator=(const CudaArray&) = delete;
  ~CudaArray() {
    if (data_ == nullptr) return;
    if constexpr (Pinned) {
      cudaFreeHost(data_);
    } else {
      cudaFree(data_);
    }
  }
  T* data() const { return data_; }
  std::size_t size() const { return n_; }

 private:
  void swap(CudaArray& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(n_, o.n_);
  }
  T* data_ = nullptr;
  std::size_t n_ = 0;
};

template <class T>
using DeviceArray = CudaArray<T, false>;
template <class T>
using PinnedArray = CudaArray<T, true>;

// Makes `device` current for a scope and restores the previous one.
class DeviceScope {
 public:
  explicit DeviceScope(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    check(cudaSetDevice(device), "cudaSetDevice");
  }
  ~DeviceScope() { cudaSetDevice(previous_); }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = 0;
};

}  // namespace xpulse::cuda
