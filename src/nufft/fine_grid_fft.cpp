#include "nufft/fine_grid_fft.h"

#include <fftw3.h>

#include <mutex>

#include "core/error.h"

namespace xpulse::nufft {
namespace {

std::mutex& planner_mutex() {  // FFTW's planner is not thread-safe
  static std::mutex m;
  return m;
}

template <class T>
struct Fftw;
template <>
struct Fftw<double> {
  using plan = fftw_plan;
  static void init_threads() { fftw_init_threads(); }
  static plan make(const int n[3], std::complex<double>* g, int sign, unsigned threads) {
    fftw_plan_with_nthreads(static_cast<int>(threads));
    auto* p = reinterpret_cast<fftw_complex*>(g);
    return fftw_plan_dft(3, n, p, p, sign, FFTW_ESTIMATE);
  }
  static void run(plan p) { fftw_execute(p); }
  static void destroy(plan p) { fftw_destroy_plan(p); }
};
template <>
struct Fftw<float> {
  using plan = fftwf_plan;
  static void init_threads() { fftwf_init_threads(); }
  static plan make(const int n[3], std::complex<float>* g, int sign, unsigned threads) {
    fftwf_plan_with_nthreads(static_cast<int>(threads));
    auto* p = reinterpret_cast<fftwf_complex*>(g);
    return fftwf_plan_dft(3, n, p, p, sign, FFTW_ESTIMATE);
  }
  static void run(plan p) { fftwf_execute(p); }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
};

}  // namespace

template <class T>
struct FineGridFft<T>::Impl {
  typename Fftw<T>::plan plan;
};

template <class T>
FineGridFft<T>::FineGridFft(const std::size_t dims[3], int sign, unsigned threads, std::complex<T>* grid)
    : impl_(std::make_unique<Impl>()) {
  std::lock_guard lock(planner_mutex());
  static std::once_flag once;
  std::call_once(once, [] {
    Fftw<double>::init_threads();
    Fftw<float>::init_threads();
  });
  const int n[3] = {static_cast<int>(dims[2]), static_cast<int>(dims[1]), static_cast<int>(dims[0])};  // row-major
  impl_->plan = Fftw<T>::make(n, grid, sign > 0 ? FFTW_BACKWARD : FFTW_FORWARD, threads);
  if (impl_->plan == nullptr) throw Error("FFTW could not plan the fine-grid FFT");
}

template <class T>
FineGridFft<T>::~FineGridFft() {
  std::lock_guard lock(planner_mutex());
  Fftw<T>::destroy(impl_->plan);
}

template <class T>
void FineGridFft<T>::execute() {
  Fftw<T>::run(impl_->plan);
}

template class FineGridFft<float>;
template class FineGridFft<double>;

}  // namespace xpulse::nufft
