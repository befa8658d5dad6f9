#pragma once
// Non-uniform FFT plans in the FINUFFT shape (make a plan, set points, execute many times).
//
//   type 1 (points -> modes): f[k] = sum_j c[j] exp(sign i k.x_j)
//   type 2 (modes -> points): c[j] = sum_k f[k] exp(sign i k.x_j)
//
// k runs over [-N_d/2, (N_d - 1)/2] in each of 1-3 dimensions; points x_j in [-pi, pi) (accepted in
// [-3 pi, 3 pi)). Modes are stored with the first dimension fastest, f[i1 + N1 (i2 + N2 i3)], where index i
// is k + N/2 (ModeOrder::centered) or k for k >= 0 and N + k for k < 0 (ModeOrder::fft, FFTW's order).
// Algorithm (REFERENCE.md section 2): ES kernel, upsampling 2, spreading to a fine grid, FFTW, deconvolution
// by the kernel's Fourier series; type 2 in reverse.
#include <complex>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace xpulse::nufft {

enum class ModeOrder { centered, fft };

struct PlanOptions {
  int sign = +1;          // exponent sign, +1 or -1
  unsigned threads = 1;   // spreading, interpolation and FFTW threads
  ModeOrder order = ModeOrder::centered;
};

// Seconds spent in each stage by the last set_points / execute.
struct Timings {
  double sort = 0, spread = 0, fft = 0, deconvolve = 0;
};

template <class T>  // float or double
class Plan {
 public:
  // type 1 or 2; modes: N per dimension (1 to 3 entries); eps: requested relative accuracy, in [1e-15, 0.1]
  // for double and [1e-7, 0.1] for float. Throws InvalidArgument naming the bad value.
  Plan(int type, std::span<const std::size_t> modes, double eps, const PlanOptions& options = {});
  ~Plan();
  Plan(Plan&&) noexcept;
  Plan& operator=(Plan&&) noexcept;

  // The coordinates of n points (y and z for 2 and 3 dimensions, else null), read only here: the plan keeps
  // them sorted into bins as fine-grid coordinates (8 bytes per point and dimension), which lets spreading read
  // memory sequentially. Throws InputError for a point outside [-3 pi, 3 pi).
  void set_points(std::size_t n, const T* x, const T* y = nullptr, const T* z = nullptr);

  // Type 1: reads c[n_points], writes f[modes]; type 2: reads f, writes c. Throws InvalidArgument before
  // set_points.
  void execute(std::complex<T>* c, std::complex<T>* f);

  int type() const;
  int dimensions() const;
  std::size_t modes() const;       // product of N
  std::size_t points() const;
  int kernel_width() const;
  std::vector<std::size_t> fine_grid() const;  // per dimension
  const Timings& timings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xpulse::nufft
