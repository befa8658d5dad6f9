// JUNGFRAU raw correction on a CUDA device: one thread per pixel walks the block's frames, with the per-word
// arithmetic of the CPU loop (correct_jungfrau_word), so both give the same bits. Entry point of the CUDA module.
#include <cstddef>
#include <cstdint>

#include "../common/cuda_check.h"
#include "correct/jungfrau_correction.h"

namespace {

using xpulse::correct::JungfrauOptions;

__global__ void correct_kernel(const std::uint16_t* raw, std::size_t frames, std::size_t pixels, float* pedestal,
                               const float* gain, JungfrauOptions o, float* values, std::uint8_t* flags) {
  const std::size_t p = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p >= pixels) return;
  float ped[3] = {pedestal[p], pedestal[pixels + p], pedestal[2 * pixels + p]};
  const float g[3] = {gain[p], gain[pixels + p], gain[2 * pixels + p]};
  for (std::size_t f = 0; f < frames; ++f) {
    const std::uint16_t word = raw[f * pixels + p];
    std::uint8_t bits;
    const float e = xpulse::correct::correct_jungfrau_word(word, ped, g, o.photon_energy, bits);
    values[f * pixels + p] = e;
    flags[f * pixels + p] = bits;
    if (o.pedestal_window > 0) ped[0] = xpulse::correct::tracked_pedestal(word, bits, e, ped[0], o);
  }
  pedestal[p] = ped[0];
}

}  // namespace

// Host arrays in and out (xpulse::correct::correct_jungfrau's layout); throws xpulse::Error on a CUDA failure.
extern "C" void xpulse_cuda_correct_jungfrau(const std::uint16_t* raw, std::size_t frames, std::size_t pixels,
                                             float* pedestal, const float* gain, const JungfrauOptions& options,
                                             float* values, std::uint8_t* flags, int device) {
  using xpulse::cuda::check;
  check(cudaSetDevice(device), "cudaSetDevice");
  xpulse::cuda::CudaArray<std::uint16_t, false> d_raw(frames * pixels);
  xpulse::cuda::CudaArray<float, false> d_pedestal(3 * pixels), d_gain(3 * pixels), d_values(frames * pixels);
  xpulse::cuda::CudaArray<std::uint8_t, false> d_flags(frames * pixels);
  check(cudaMemcpy(d_raw.data(), raw, frames * pixels * sizeof(std::uint16_t), cudaMemcpyHostToDevice), "cudaMemcpy");
  check(cudaMemcpy(d_pedestal.data(), pedestal, 3 * pixels * sizeof(float), cudaMemcpyHostToDevice), "cudaMemcpy");
  check(cudaMemcpy(d_gain.data(), gain, 3 * pixels * sizeof(float), cudaMemcpyHostToDevice), "cudaMemcpy");
  const unsigned threads = 256;
  const auto blocks = static_cast<unsigned>((pixels + threads - 1) / threads);
  correct_kernel<<<blocks, threads>>>(d_raw.data(), frames, pixels, d_pedestal.data(), d_gain.data(), options,
                                      d_values.data(), d_flags.data());
  check(cudaGetLastError(), "JUNGFRAU correction kernel launch");
  check(cudaMemcpy(values, d_values.data(), frames * pixels * sizeof(float), cudaMemcpyDeviceToHost), "cudaMemcpy");
  check(cudaMemcpy(flags, d_flags.data(), frames * pixels, cudaMemcpyDeviceToHost), "cudaMemcpy");
  check(cudaMemcpy(pedestal, d_pedestal.data(), 3 * pixels * sizeof(float), cudaMemcpyDeviceToHost), "cudaMemcpy");
}
