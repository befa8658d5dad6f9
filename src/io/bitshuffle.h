#pragma once
// Decoder for the bitshuffle HDF5 filter (id 32008): the bit transpose of Masui et al. (2015), optionally with
// each block LZ4- or Zstd-compressed. No Debian package ships the bitshuffle C library's headers, so this is
// our own implementation of the published format, checked byte for byte against the HDF5 plugin in the tests.
#include <cstddef>
#include <cstdint>

namespace xpulse::io {

enum class BitshuffleCodec : std::uint8_t { none = 0, lz4 = 2, zstd = 3 };

// Undoes the bit transpose of one block of n elements (n a multiple of 8) of elem_size bytes each.
// Input layout: for byte j and bit k of an element, a row of n bits (LSB first), rows ordered (j, k).
void bitunshuffle_block(const std::uint8_t* in, std::uint8_t* out, std::size_t n, std::size_t elem_size);

// Decodes one filter payload into exactly out_bytes. `block_size` is the filter's cd_values[3] (0 = the
// library default), ignored for compressed payloads, whose 12-byte header carries it. Throws std::runtime_error
// describing the first inconsistency.
void bitshuffle_decode(const std::uint8_t* in, std::size_t in_bytes, std::uint8_t* out, std::size_t out_bytes,
                       std::size_t elem_size, std::size_t block_size, BitshuffleCodec codec);

}  // namespace xpulse::io
