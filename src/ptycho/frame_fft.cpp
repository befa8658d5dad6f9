#include "ptycho/frame_fft.h"

#include <mutex>

#include <fftw3.h>

#include "core/error.h"

namespace xpulse::ptycho {
namespace {

std::mutex& planner_mutex() {  // FFTW's planner is not thread-safe
  static std::mutex m;
  return m;
}

}  // namespace

FrameFft::FrameFft(std::size_t n) : n_(n) {
  if (n < 2) throw InvalidArgument("the frame size must be >= 2");
  const int side = static_cast<int>(n);
  std::lock_guard<std::mutex> lock(planner_mutex());
  auto* buffer = fftwf_alloc_complex(n * n);
  if (buffer == nullptr) throw Error("FFTW could not allocate a frame");
  alignment_ = fftwf_alignment_of(reinterpret_cast<float*>(buffer));
  // ESTIMATE: the same plan, and so the same bits, on every run.
  forward_ = fftwf_plan_dft_2d(side, side, buffer, buffer, FFTW_FORWARD, FFTW_ESTIMATE);
  backward_ = fftwf_plan_dft_2d(side, side, buffer, buffer, FFTW_BACKWARD, FFTW_ESTIMATE);
  forward_unaligned_ = fftwf_plan_dft_2d(side, side, buffer, buffer, FFTW_FORWARD, FFTW_ESTIMATE | FFTW_UNALIGNED);
  backward_unaligned_ = fftwf_plan_dft_2d(side, side, buffer, buffer, FFTW_BACKWARD, FFTW_ESTIMATE | FFTW_UNALIGNED);
  fftwf_free(buffer);
  if (!forward_ || !backward_ || !forward_unaligned_ || !backward_unaligned_) throw Error("FFTW could not plan");
}

FrameFft::~FrameFft() {
  std::lock_guard<std::mutex> lock(planner_mutex());
  for (void* p : {forward_, backward_, forward_unaligned_, backward_unaligned_}) {
    if (p) fftwf_destroy_plan(static_cast<fftwf_plan>(p));
  }
}

void FrameFft::execute(void* plan, void* unaligned_plan, cfloat* frame, bool scaled) const {
  auto* data = reinterpret_cast<fftwf_complex*>(frame);
  const bool aligned = fftwf_alignment_of(reinterpret_cast<float*>(frame)) == alignment_;
  fftwf_execute_dft(static_cast<fftwf_plan>(aligned ? plan : unaligned_plan), data, data);
  if (!scaled) return;
  const float factor = scale();
  for (std::size_t k = 0; k < n_ * n_; ++k) frame[k] *= factor;
}

void FrameFft::forward(cfloat* frame) const { execute(forward_, forward_unaligned_, frame, true); }
void FrameFft::backward(cfloat* frame) const { execute(backward_, backward_unaligned_, frame, true); }
void FrameFft::forward_unscaled(cfloat* frame) const { execute(forward_, forward_unaligned_, frame, false); }
void FrameFft::backward_unscaled(cfloat* frame) const { execute(backward_, backward_unaligned_, frame, false); }

}  // namespace xpulse::ptycho
