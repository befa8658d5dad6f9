#include "fit/lane_power_spectrum.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "fit/vector_math.h"

namespace xpulse::fit {

LanePowerSpectrum::LanePowerSpectrum(std::size_t m) : m_(m), half_(m / 2) {
  if (m < 4 || (m & (m - 1)) != 0) throw std::invalid_argument("LanePowerSpectrum: length must be a power of two >= 4");
  int bits = 0;
  while ((std::size_t{1} << bits) < half_) ++bits;
  bit_reversed_.resize(half_);
  for (std::size_t j = 0; j < half_; ++j) {
    unsigned r = 0;
    for (int b = 0; b < bits; ++b) r |= ((static_cast<unsigned>(j) >> b) & 1u) << (bits - 1 - b);
    bit_reversed_[j] = r;
  }
  twiddle_re_.resize(half_ / 2);
  twiddle_im_.resize(half_ / 2);
  for (std::size_t k = 0; k < half_ / 2; ++k) {
    const double angle = kTwoPi * static_cast<double>(k) / static_cast<double>(half_);
    twiddle_re_[k] = static_cast<float>(std::cos(angle));
    twiddle_im_[k] = static_cast<float>(-std::sin(angle));
  }
  split_re_.resize(half_ + 1);
  split_im_.resize(half_ + 1);
  for (std::size_t k = 0; k <= half_; ++k) {
    const double angle = kTwoPi * static_cast<double>(k) / static_cast<double>(m_);
    split_re_[k] = static_cast<float>(std::cos(angle));
    split_im_[k] = static_cast<float>(-std::sin(angle));
  }
  re_.resize(half_ * kLanes);
  im_.resize(half_ * kLanes);
}

// The butterflies of span len / 2 (complex multiplication by the twiddle of the lower element).
void LanePowerSpectrum::radix2_stage(std::size_t len) {
  float* re = re_.data();
  float* im = im_.data();
  const std::size_t span = len / 2, stride = half_ / len;
  for (std::size_t start = 0; start < half_; start += len) {
    for (std::size_t k = 0; k < span; ++k) {
      const float wr = twiddle_re_[k * stride], wi = twiddle_im_[k * stride];
      float* ar = re + (start + k) * kLanes;
      float* ai = im + (start + k) * kLanes;
      float* br = ar + span * kLanes;
      float* bi = ai + span * kLanes;
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) {
        const float tr = wr * br[l] - wi * bi[l];
        const float ti = wr * bi[l] + wi * br[l];
        br[l] = ar[l] - tr;
        bi[l] = ai[l] - ti;
        ar[l] += tr;
        ai[l] += ti;
      }
    }
  }
}

// The stages of spans len / 2 and len in one pass over the data: half the loads and stores of two radix-2 passes
// (the butterflies are store-bound).
void LanePowerSpectrum::radix4_stages(std::size_t len) {
  float* re = re_.data();
  float* im = im_.data();
  const std::size_t q = len / 2;  // a, b = a + q, c = a + len, d = c + q
  const std::size_t stride1 = half_ / len, stride2 = half_ / (2 * len);
  for (std::size_t start = 0; start < half_; start += 2 * len) {
    for (std::size_t k = 0; k < q; ++k) {
      const float w1r = twiddle_re_[k * stride1], w1i = twiddle_im_[k * stride1];
      const float w2r = twiddle_re_[k * stride2], w2i = twiddle_im_[k * stride2];
      const float w3r = twiddle_re_[(k + q) * stride2], w3i = twiddle_im_[(k + q) * stride2];
      float* ar = re + (start + k) * kLanes;
      float* ai = im + (start + k) * kLanes;
      float* br = ar + q * kLanes;
      float* bi = ai + q * kLanes;
      float* cr = ar + len * kLanes;
      float* ci = ai + len * kLanes;
      float* dr = cr + q * kLanes;
      float* di = ci + q * kLanes;
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) {
        float tr = w1r * br[l] - w1i * bi[l];
        float ti = w1r * bi[l] + w1i * br[l];
        const float a1r = ar[l] + tr, a1i = ai[l] + ti, b1r = ar[l] - tr, b1i = ai[l] - ti;
        tr = w1r * dr[l] - w1i * di[l];
        ti = w1r * di[l] + w1i * dr[l];
        const float c1r = cr[l] + tr, c1i = ci[l] + ti, d1r = cr[l] - tr, d1i = ci[l] - ti;
        tr = w2r * c1r - w2i * c1i;
        ti = w2r * c1i + w2i * c1r;
        ar[l] = a1r + tr;
        ai[l] = a1i + ti;
        cr[l] = a1r - tr;
        ci[l] = a1i - ti;
        tr = w3r * d1r - w3i * d1i;
        ti = w3r * d1i + w3i * d1r;
        br[l] = b1r + tr;
        bi[l] = b1i + ti;
        dr[l] = b1r - tr;
        di[l] = b1i - ti;
      }
    }
  }
}

void LanePowerSpectrum::compute(const float* x, std::size_t n, std::size_t lo, std::size_t hi, float* power) {
  if (n > half_ || hi > half_ || lo > hi) throw std::invalid_argument("LanePowerSpectrum: bad length or bins");
  float* re = re_.data();
  float* im = im_.data();
  // z_j = x_{2j} + i x_{2j+1}, in bit-reversed order. z_j is zero for j >= half_ / 2 (n <= half_), so the
  // first butterfly of z_j and z_{j + half_/2} leaves z_j in both of its outputs: they are written directly.
  const std::size_t quarter = half_ / 2;
  for (std::size_t j = 0; j < quarter; ++j) {
    const std::size_t even = 2 * j, odd = 2 * j + 1;
    const unsigned at = bit_reversed_[j];  // j < half_/2: its partner j + half_/2 lands at `at` + 1
    float* r0 = re + at * kLanes;
    float* i0 = im + at * kLanes;
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      const float a = even < n ? x[even * kLanes + l] : 0.0f;
      const float b = odd < n ? x[odd * kLanes + l] : 0.0f;
      r0[l] = a;
      i0[l] = b;
      r0[kLanes + l] = a;
      i0[kLanes + l] = b;
    }
  }
  std::size_t len = 4;  // butterflies of span len / 2 next
  for (; 2 * len <= half_; len *= 4) radix4_stages(len);
  if (len <= half_) radix2_stage(len);
  // X_b = E_b + w^b O_b with E_b = (Z_b + conj Z_{-b}) / 2, O_b = (Z_b - conj Z_{-b}) / (2i), w = exp(-2 pi i / m).
  for (std::size_t b = lo; b <= hi; ++b) {
    const std::size_t p = b % half_, q = (half_ - b) % half_;
    const float* zr = re + p * kLanes;
    const float* zi = im + p * kLanes;
    const float* cr = re + q * kLanes;
    const float* ci = im + q * kLanes;
    const float wr = split_re_[b], wi = split_im_[b];
    float* out = power + b * kLanes;
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      const float er = 0.5f * (zr[l] + cr[l]);
      const float ei = 0.5f * (zi[l] - ci[l]);
      const float or_ = 0.5f * (zi[l] + ci[l]);
      const float oi = -0.5f * (zr[l] - cr[l]);
      const float xr = er + wr * or_ - wi * oi;
      const float xi = ei + wr * oi + wi * or_;
      out[l] = xr * xr + xi * xi;
    }
  }
}

}  // namespace xpulse::fit
