#pragma once
// Host memory for bulk data, released by whoever allocated it: plain heap memory for CPU work, page-locked
// (pinned) memory when a CUDA backend copies it to a device asynchronously.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

#include <sys/mman.h>

namespace xpulse::runtime {

class HostBuffer {
 public:
  using Release = void (*)(float*);
  HostBuffer() = default;
  HostBuffer(float* data, std::size_t size, Release release) : data_(data), size_(size), release_(release) {}
  HostBuffer(HostBuffer&& o) noexcept { swap(o); }
  HostBuffer& operator=(HostBuffer&& o) noexcept {
    HostBuffer(std::move(o)).swap(*this);
    return *this;
  }
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
  ~HostBuffer() {
    if (data_ != nullptr && release_ != nullptr) release_(data_);
  }

  float* data() const { return data_; }
  std::size_t size() const { return size_; }  // floats

  // Plain heap memory. Buffers of 4 MiB and more are asked to live on 2 MiB pages (where the kernel leaves
  // transparent huge pages to madvise): the fit reads frames a MiB apart, and on 4 KiB pages nearly every such
  // read missed the TLB.
  static HostBuffer heap(std::size_t floats) {
    constexpr std::size_t kHugePage = std::size_t{2} << 20;
    const std::size_t bytes = (floats > 0 ? floats : 1) * sizeof(float);
#ifdef MADV_HUGEPAGE
    if (bytes >= 2 * kHugePage) {
      const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
      if (void* p = std::aligned_alloc(kHugePage, rounded)) {
        madvise(p, rounded, MADV_HUGEPAGE);  // advice only: without it the buffer still works
        return HostBuffer(static_cast<float*>(p), floats, [](float* q) { std::free(q); });
      }
      throw std::bad_alloc();
    }
#endif
    return HostBuffer(new float[bytes / sizeof(float)], floats, [](float* p) { delete[] p; });
  }

 private:
  void swap(HostBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(release_, o.release_);
  }
  float* data_ = nullptr;
  std::size_t size_ = 0;
  Release release_ = nullptr;
};

}  // namespace xpulse::runtime
