#pragma once
// Frames of a CXI scan read from the file block by block (the chunk-parallel reader), for reconstructions whose
// frames do not fit the --memory budget (ptycho/problem.h: FrameSource).
#include <cstddef>
#include <memory>
#include <string>

#include "io/parallel_reader.h"
#include "ptycho/problem.h"

namespace xpulse::pipelines {

class CxiFrameSource : public ptycho::FrameSource {
 public:
  // The frames [first, ...) of `path`'s CXI data are this source's frames [0, ...).
  CxiFrameSource(const std::string& path, std::size_t first, std::size_t n, unsigned threads);
  void load(std::size_t first, std::size_t count, float* out) override;
  std::size_t loaded_frames() const { return loaded_; }

 private:
  io::ParallelReader reader_;
  std::size_t first_, n_, loaded_ = 0;
};

// Bytes a reconstruction of `frames` frames of n x n holds per frame in memory: the intensities and amplitudes
// (float) and ML's far fields (complex float).
constexpr std::size_t kResidentBytesPerPixel = 16;

// "8G", "512M", "100k" or a plain number of bytes; InvalidArgument for anything else.
std::size_t parse_bytes(const std::string& text, const std::string& option);

}  // namespace xpulse::pipelines
