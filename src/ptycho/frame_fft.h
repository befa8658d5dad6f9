#pragma once
// Unitary 2D FFTs of n x n complex frames (FFTW, single precision): forward sum_k psi_k exp(-2 pi i k.u / n) / n,
// backward the same with +i. Planned once; executing is thread-safe (FFTW's new-array interface), so the frames
// of a batch are transformed in parallel by the caller's threads.
#include <complex>
#include <cstddef>
#include <new>
#include <vector>

namespace xpulse::ptycho {

using cfloat = std::complex<float>;

// |z|^2 without std::norm's overflow-safe hypot (the values here are far from overflow); the hot loops use it.
inline float norm2(cfloat z) { return z.real() * z.real() + z.imag() * z.imag(); }

// A complex array as interleaved floats (re, im), as the standard lays std::complex out: loops written on the
// floats vectorise where loops on std::complex<float> stay scalar.
inline float* floats(cfloat* z) { return reinterpret_cast<float*>(z); }
inline const float* floats(const cfloat* z) { return reinterpret_cast<const float*>(z); }

// The product a[x] b[x] of two such interleaved arrays, inline so that the loops calling it still vectorise.
struct ComplexParts {
  float re, im;
};
inline ComplexParts product(const float* a, const float* b, std::size_t x) {
  return {a[2 * x] * b[2 * x] - a[2 * x + 1] * b[2 * x + 1], a[2 * x] * b[2 * x + 1] + a[2 * x + 1] * b[2 * x]};
}

// Frames in memory aligned to 64 bytes, so that the FFT of a frame at the same index of two such buffers runs the
// same FFTW plan (aligned or not) and gives the same bits.
template <class T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <class U>
  Aligned64(const Aligned64<U>&) {}
  T* allocate(std::size_t count) { return static_cast<T*>(::operator new(count * sizeof(T), std::align_val_t(64))); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(64)); }
  template <class U>
  bool operator==(const Aligned64<U>&) const { return true; }
};
using AlignedFrames = std::vector<cfloat, Aligned64<cfloat>>;

class FrameFft {
 public:
  explicit FrameFft(std::size_t n);
  ~FrameFft();
  FrameFft(const FrameFft&) = delete;
  FrameFft& operator=(const FrameFft&) = delete;

  std::size_t n() const { return n_; }
  // In place on one frame of n * n values (any alignment).
  void forward(cfloat* frame) const;
  void backward(cfloat* frame) const;
  // The same without the 1/n (n times the unitary transform): for callers that fold the scaling into a pass of
  // their own over the frame (project_modulus's scales), which saves a pass over the frame per transform.
  void forward_unscaled(cfloat* frame) const;
  void backward_unscaled(cfloat* frame) const;
  float scale() const { return 1.0f / static_cast<float>(n_); }

 private:
  void execute(void* plan, void* unaligned_plan, cfloat* frame, bool scaled) const;
  std::size_t n_;
  int alignment_ = 0;  // of the planning buffer
  void* forward_ = nullptr;
  void* backward_ = nullptr;
  void* forward_unaligned_ = nullptr;
  void* backward_unaligned_ = nullptr;
};

}  // namespace xpulse::ptycho
