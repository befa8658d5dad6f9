// Reads a whole dataset through the parallel reader, slab by slab along the first axis into one reused
// buffer (as `xpulse reduce` streams), and prints the decoded bytes per second. Driven by compare_read.py.
//
// Usage: xpulse_read_throughput FILE DATASET THREADS [SLAB_MIB]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/parallel_reader.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s FILE DATASET THREADS [SLAB_MIB]\n", argv[0]);
    return 2;
  }
  try {
    const unsigned threads = static_cast<unsigned>(std::atoi(argv[3]));
    const std::size_t slab_bytes = (argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 256) << 20;
    xpulse::io::ParallelReader reader(argv[1], argv[2], {threads});
    const std::vector<std::size_t> dims = reader.dims();
    const std::size_t es = xpulse::io::dtype_size(reader.dtype());
    std::size_t frame_bytes = es;
    for (std::size_t d = 1; d < dims.size(); ++d) frame_bytes *= dims[d];
    const std::size_t slab = std::max<std::size_t>(1, slab_bytes / frame_bytes);
    std::vector<std::uint8_t> buffer(slab * frame_bytes);
    const auto start = std::chrono::steady_clock::now();
    std::size_t bytes = 0;
    for (std::size_t f = 0; f < dims[0]; f += slab) {
      std::vector<std::size_t> offset(dims.size(), 0), count = dims;
      offset[0] = f;
      count[0] = std::min(slab, dims[0] - f);
      reader.read_as(offset, count, reader.dtype(), buffer.data());
      bytes += count[0] * frame_bytes;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.6f %zu %s\n", seconds, bytes, reader.describe().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xpulse_read_throughput: %s\n", e.what());
    return 1;
  }
}
