#pragma once
// Host memory for bulk data, released by whoever allocated it: plain heap memory for CPU work, page-locked
// (pinned) memory when a CUDA backend copies it to a device asynchronously.
#include <cstddef>
#include <utility>

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

  // Plain heap memory.
  static HostBuffer heap(std::size_t floats) {
    return HostBuffer(new float[floats > 0 ? floats : 1], floats, [](float* p) { delete[] p; });
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
