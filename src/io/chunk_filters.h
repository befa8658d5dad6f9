#pragma once
// In-process decoding of HDF5 chunk filter pipelines, so that decompression runs in our worker threads instead
// of behind libhdf5's global lock. Supported: deflate (1), shuffle (2), LZ4 (32004), Blosc (32001, every codec
// libblosc has: blosclz, lz4, lz4hc, snappy, zlib, zstd) and bitshuffle (32008, plain, LZ4 or Zstd). A pipeline
// with any other filter (Fletcher32, szip, n-bit, scale-offset, ...) is read through H5Dread and its plugins.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xpulse::io {

struct FilterSpec {
  int id = 0;
  std::vector<unsigned> cd_values;  // the filter's client data, as stored in the dataset's pipeline
  std::string name;                 // as HDF5 reports it, for messages
};

// True when decode_chunk handles every filter of the pipeline.
bool decodable_in_process(const std::vector<FilterSpec>& pipeline);

// Decodes a raw chunk in place: `data` holds the stored bytes on entry and exactly `chunk_bytes` decoded bytes
// on return. Filters whose bit is set in `filter_mask` were skipped by the writer and are skipped here.
// `elem_size` is the dataset's element size. `scratch` is reused between calls. Throws std::runtime_error
// naming the filter that failed (the caller adds dataset and chunk coordinates).
void decode_chunk(const std::vector<FilterSpec>& pipeline, unsigned filter_mask, std::size_t elem_size,
                  std::size_t chunk_bytes, std::vector<std::uint8_t>& data, std::vector<std::uint8_t>& scratch);

}  // namespace xpulse::io
