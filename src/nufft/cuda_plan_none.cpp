// nufft::CudaPlan in a build without CUDA: the constructor says so; nothing else is reachable.
#include "core/error.h"
#include "nufft/cuda_plan.h"

namespace xpulse::nufft {

template <class T>
struct CudaPlan<T>::Impl {
  Timings timings;
};

template <class T>
CudaPlan<T>::CudaPlan(int, std::span<const std::size_t>, double, const PlanOptions&, int) {
  throw InputError("this xpulse was built without CUDA (no nvcc at configure time)");
}
template <class T>
CudaPlan<T>::~CudaPlan() = default;
template <class T>
CudaPlan<T>::CudaPlan(CudaPlan&&) noexcept = default;
template <class T>
CudaPlan<T>& CudaPlan<T>::operator=(CudaPlan&&) noexcept = default;
template <class T>
void CudaPlan<T>::set_points(std::size_t, const T*, const T*, const T*) {}
template <class T>
void CudaPlan<T>::execute(std::complex<T>*, std::complex<T>*) {}
template <class T>
int CudaPlan<T>::type() const { return 0; }
template <class T>
int CudaPlan<T>::dimensions() const { return 0; }
template <class T>
std::size_t CudaPlan<T>::modes() const { return 0; }
template <class T>
std::size_t CudaPlan<T>::points() const { return 0; }
template <class T>
int CudaPlan<T>::kernel_width() const { return 0; }
template <class T>
std::vector<std::size_t> CudaPlan<T>::fine_grid() const { return {}; }
template <class T>
const Timings& CudaPlan<T>::timings() const { return impl_->timings; }

template class CudaPlan<float>;
template class CudaPlan<double>;

}  // namespace xpulse::nufft
