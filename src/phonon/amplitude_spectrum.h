#pragma once
// Per-pixel amplitude spectra of pump-probe traces (the model-free FT-IXS view).
//
// For delays t_n >= t0 the spectrum of a trace x is
//   A(f) = 2 |sum_n w_n (x_n - mean) exp(-2 pi i f t_n)| / sum_n w_n,
// a discrete Fourier transform on a uniform delay grid and, on a non-uniform one, a non-uniform DFT with
// trapezoid quadrature weights (an approximation of the Fourier integral). w_n also carries the window. A
// cosine of amplitude a at a grid frequency gives A = a. The mean is the quadrature-weighted mean of the trace.
// All traces of a block are transformed with one matrix product [2 frequencies x delays] x [delays x pixels].
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace xpulse::phonon {

enum class Window { hann, none };
Window parse_window(const std::string& name);  // throws InvalidArgument

struct SpectrumOptions {
  double t0_ps = 0.0;
  double max_frequency_thz = 0.0;  // 0: the Nyquist frequency of the median delay step
  int oversample = 4;              // frequency step = resolution / oversample
  Window window = Window::hann;
  void validate() const;           // throws InvalidArgument naming the flag
};

class SpectrumPlan {
 public:
  // Throws InputError when fewer than 4 delays lie at or after t0, or the delays are not increasing.
  static SpectrumPlan make(std::span<const double> delays_ps, const SpectrumOptions& options);

  std::size_t first_delay() const { return first_; }       // first delay index used (t >= t0)
  std::size_t delays() const { return n_; }                // delays used
  std::size_t frequencies() const { return frequency_.size(); }
  const std::vector<double>& frequency_thz() const { return frequency_; }
  double resolution_thz() const { return resolution_; }    // 1 / (time span): the spectral resolution
  bool uniform() const { return uniform_; }

  // Amplitude spectra of `pixels` traces stored as traces[n * stride + p] (n over the used delays, p over
  // pixels), into amplitude[k * pixels + p]. `work` is resized as needed and may be reused between calls.
  // Not-finite traces give NaN spectra. Single-threaded; call concurrently on separate blocks.
  void compute(const float* traces, std::size_t stride, std::size_t pixels, float* amplitude,
               std::vector<float>& work) const;

 private:
  std::size_t first_ = 0;
  std::size_t n_ = 0;
  std::vector<double> frequency_;
  double resolution_ = 0.0;
  bool uniform_ = true;
  std::vector<float> mean_weights_;  // [n] quadrature weights normalised to sum 1
  std::vector<float> basis_;         // [2 K][n]: rows cos then sin, times w_n, times 2 / sum w
};

}  // namespace xpulse::phonon
