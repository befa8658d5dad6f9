#pragma once
// Philox4x32-10 (Salmon, Moraes, Dror and Shaw, SC'11), a counter-based generator: 128 random bits are a pure
// function of a 128-bit counter and a 64-bit key, so every (frame, pixel) owns its own numbers and the CPU and
// the CUDA backends draw the same ones in any order. Checked against Random123's known-answer vectors.
#include <array>
#include <cstdint>

#include "core/host_device.h"

namespace xpulse::sim {

struct Philox4x32 {
  using Block = std::array<std::uint32_t, 4>;

  XPULSE_HD static Block generate(Block counter, std::uint32_t key0, std::uint32_t key1) {
    for (int round = 0; round < 10; ++round) {
      if (round > 0) key0 += 0x9E3779B9u, key1 += 0xBB67AE85u;  // the Weyl key schedule
      const std::uint64_t p0 = static_cast<std::uint64_t>(0xD2511F53u) * counter[0];
      const std::uint64_t p1 = static_cast<std::uint64_t>(0xCD9E8D57u) * counter[2];
      counter = {static_cast<std::uint32_t>(p1 >> 32) ^ counter[1] ^ key0, static_cast<std::uint32_t>(p1),
                 static_cast<std::uint32_t>(p0 >> 32) ^ counter[3] ^ key1, static_cast<std::uint32_t>(p0)};
    }
    return counter;
  }
};

// The uniform doubles in [0, 1) of stream (seed, a, b): two per Philox block, from 53 bits each.
class CounterStream {
 public:
  XPULSE_HD CounterStream(std::uint64_t seed, std::uint64_t a, std::uint32_t b)
      : key0_(static_cast<std::uint32_t>(seed)), key1_(static_cast<std::uint32_t>(seed >> 32)),
        a0_(static_cast<std::uint32_t>(a)), a1_(static_cast<std::uint32_t>(a >> 32)), b_(b) {}

  XPULSE_HD double uniform() {
    if (spare_ == 0) {
      block_ = Philox4x32::generate({b_, a0_, a1_, next_++}, key0_, key1_);
      spare_ = 2;
    }
    const int w = 4 - 2 * spare_--;
    const std::uint64_t bits = (static_cast<std::uint64_t>(block_[w]) << 32) | block_[w + 1];
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
  }

 private:
  std::uint32_t key0_, key1_, a0_, a1_, b_;
  std::uint32_t next_ = 0;
  int spare_ = 0;
  Philox4x32::Block block_{};
};

}  // namespace xpulse::sim
