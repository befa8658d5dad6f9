// nufft::CudaPlan: forwards to the CUDA module (cuda/nufft/cuda_plan.cu).
#include "nufft/cuda_plan.h"

#include "runtime/devices.h"

namespace xpulse::nufft {
namespace {

template <class T>
typename CudaPlan<T>::Factory* factory() {
  return runtime::cuda_backend<typename CudaPlan<T>::Factory>(
      sizeof(T) == sizeof(float) ? "xpulse_cuda_plan_float" : "xpulse_cuda_plan_double");
}

}  // namespace

template <class T>
CudaPlan<T>::CudaPlan(int type, std::span<const std::size_t> modes, double eps, const PlanOptions& options,
                      int device)
    : impl_(factory<T>()(type, modes, eps, options, device)) {}
template <class T>
CudaPlan<T>::~CudaPlan() = default;
template <class T>
CudaPlan<T>::CudaPlan(CudaPlan&&) noexcept = default;
template <class T>
CudaPlan<T>& CudaPlan<T>::operator=(CudaPlan&&) noexcept = default;
template <class T>
void CudaPlan<T>::set_points(std::size_t n, const T* x, const T* y, const T* z) {
  impl_->set_points(n, x, y, z);
}
template <class T>
void CudaPlan<T>::execute(std::complex<T>* c, std::complex<T>* f) {
  impl_->execute(c, f);
}
template <class T>
int CudaPlan<T>::type() const { return impl_->type(); }
template <class T>
int CudaPlan<T>::dimensions() const { return impl_->dimensions(); }
template <class T>
std::size_t CudaPlan<T>::modes() const { return impl_->modes(); }
template <class T>
std::size_t CudaPlan<T>::points() const { return impl_->points(); }
template <class T>
int CudaPlan<T>::kernel_width() const { return impl_->kernel_width(); }
template <class T>
std::vector<std::size_t> CudaPlan<T>::fine_grid() const { return impl_->fine_grid(); }
template <class T>
const Timings& CudaPlan<T>::timings() const { return impl_->timings(); }

template class CudaPlan<float>;
template class CudaPlan<double>;

}  // namespace xpulse::nufft
