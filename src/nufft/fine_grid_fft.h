#pragma once
// In-place FFT of the NUFFT's fine grid (FFTW, float or double), planned once per NUFFT plan with its threads.
#include <complex>
#include <cstddef>
#include <memory>

namespace xpulse::nufft {

template <class T>
class FineGridFft {
 public:
  // dims: fine-grid sizes, fastest first (n1, n2, n3); sign: +1 or -1 in the exponent.
  FineGridFft(const std::size_t dims[3], int sign, unsigned threads, std::complex<T>* grid);
  ~FineGridFft();
  FineGridFft(const FineGridFft&) = delete;
  FineGridFft& operator=(const FineGridFft&) = delete;
  void execute();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xpulse::nufft
