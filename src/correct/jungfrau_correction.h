#pragma once
// JUNGFRAU raw-data correction (PSI's adaptive-gain hybrid pixel detector).
//
// A raw 16-bit word carries the gain stage in its top two bits and the ADC value in the lower 14:
//   stage = raw >> 14: 0 -> G0, 1 -> G1, 3 -> G2 (2 never occurs on a working module: flagged invalid);
//   adc   = raw & 0x3FFF;
//   E     = (adc - pedestal[g]) / gain[g], in float32, in the unit of the gain constants (ADU per keV gives keV);
//   with a photon energy (keV), photons = E / photon_energy, a further float32 division.
// Each step is one correctly rounded float32 operation, so numpy's float32 arithmetic gives the same bits.
// Pixels with an invalid stage, or whose constants for that stage are unusable (pedestal not finite, gain not
// finite and positive), are 0 and flagged.
//
// Pedestal tracking (optional): after a pixel is corrected, a G0 value below dark_threshold (output units) is
// taken as dark and moves the G0 pedestal by (adc - pedestal) / window, as the detector's slow drift needs.
#include <cstddef>
#include <cstdint>

#include "core/host_device.h"

namespace xpulse::runtime {
class ThreadPool;
}

namespace xpulse::correct {

enum JungfrauFlag : std::uint8_t {
  kJungfrauInvalidGain = 1,   // gain bits 0b10
  kJungfrauBadConstants = 2,  // pedestal or gain of the pixel's stage unusable
};


// One raw word; flag gets the JungfrauFlag bits (0 when the value is good). Shared by the CPU loop and the CUDA
// kernel, so both give the same bits.
// pedestal and gain: the pixel's constants of G0, G1, G2 (ADU; ADU per output unit before the photon energy).
XPULSE_HD inline float correct_jungfrau_word(std::uint16_t raw, const float (&pedestal)[3], const float (&gain)[3],
                                             float photon_energy, std::uint8_t& flag) {
  const unsigned bits = static_cast<unsigned>(raw) >> 14;
  const int stage = bits == 3u ? 2 : static_cast<int>(bits & 1u);  // 0 -> G0, 1 -> G1, 3 -> G2 (2: invalid)
  const float adc = static_cast<float>(raw & 0x3FFFu);
  const float p = stage == 0 ? pedestal[0] : (stage == 1 ? pedestal[1] : pedestal[2]);
  const float g = stage == 0 ? gain[0] : (stage == 1 ? gain[1] : gain[2]);
  float e = (adc - p) / g;
  if (photon_energy > 0.0f) e = e / photon_energy;
  const bool invalid = bits == 2u;
  const bool bad = !(p - p == 0.0f) || !(g > 0.0f) || !(g - g == 0.0f);  // NaN/inf pedestal, gain <= 0 or not finite
  flag = static_cast<std::uint8_t>((invalid ? kJungfrauInvalidGain : 0) | (!invalid && bad ? kJungfrauBadConstants : 0));
  return flag != 0 ? 0.0f : e;
}

struct JungfrauOptions {
  float photon_energy = 0.0f;   // keV; 0: output in the gain constants' unit
  int pedestal_window = 0;      // > 0: track the G0 pedestal over about this many dark frames
  float dark_threshold = 0.5f;  // output units below which a G0 value counts as dark (tracking only)
};

// The G0 pedestal after corrected word `raw` (value, flag) when tracking: a dark G0 value moves it by
// (adc - pedestal) / pedestal_window. Shared by the CPU loop and the CUDA kernel.
XPULSE_HD inline float tracked_pedestal(std::uint16_t raw, std::uint8_t flag, float value, float pedestal,
                                        const JungfrauOptions& o) {
  const bool dark = (raw >> 14) == 0 && flag == 0 && value < o.dark_threshold;
  const float adc = static_cast<float>(raw & 0x3FFFu);
  return dark ? pedestal + (adc - pedestal) / static_cast<float>(o.pedestal_window) : pedestal;
}

// Corrects `frames` frames of `pixels` raw words each ([frame][pixel]) into values and flags of the same shape.
// pedestal and gain are [3][pixels] (G0, G1, G2 planes); with tracking, `pedestal`'s G0 plane is updated in place
// (so a caller streaming frame blocks carries the tracked pedestal on). Pixels are split into blocks across the
// pool (each block keeps its constants in cache over all frames); results do not depend on the split.
void correct_jungfrau(const std::uint16_t* raw, std::size_t frames, std::size_t pixels, float* pedestal,
                      const float* gain, const JungfrauOptions& options, float* values, std::uint8_t* flags,
                      runtime::ThreadPool& pool);

}  // namespace xpulse::correct
