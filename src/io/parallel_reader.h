#pragma once
// The reader every pipeline uses for bulk data: hyperslabs of a numeric dataset (contiguous, chunked with any
// common detector compression, or a virtual dataset over many files), converted to the caller's element type.
// HDF5 is called only to locate data; pread and decompression run on a pool of worker threads, one task per
// chunk, so a chunk is read and decoded once per request however the request cuts it.
#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "io/dtype.h"
#include "io/frame_correction.h"
#include "io/hdf5.h"
#include "io/stored_dataset.h"
#include "io/virtual_mapping.h"
#include "runtime/thread_pool.h"

namespace xpulse::io {

struct ReaderOptions {
  unsigned threads = 1;
  bool allow_missing = false;  // VDS: read frames of missing source files as the fill value instead of failing
  OpenMode mode = OpenMode::normal;
  // An input stage applied to every read (frame_correction.h); the data then read as float32 (dtype() says so).
  std::shared_ptr<FrameCorrection> correction;
};

class ParallelReader {
 public:
  // Throws IoError/InputError for a missing or damaged file, a missing or non-numeric dataset, or (unless
  // allow_missing) a virtual dataset whose source file is missing.
  ParallelReader(const std::string& path, const std::string& dataset, ReaderOptions options = {});
  ~ParallelReader();

  const std::string& path() const { return path_; }
  const std::string& dataset() const { return dataset_; }
  const std::vector<std::size_t>& dims() const { return main_->dims(); }
  DType dtype() const { return options_.correction ? DType::f32 : main_->dtype(); }
  StorageLayout layout() const { return main_->layout(); }
  // The box that is cheapest to read whole: the chunk shape (for a VDS, its first source's chunk mapped into
  // virtual axes). Empty when any sub-box reads at no extra cost (contiguous data).
  std::vector<std::size_t> read_granule() const;
  // One line for logs: layout, chunking, filters and whether the parallel path applies.
  std::string describe() const;

  // Re-reads the extent of a dataset another process is extending.
  void refresh();

  // Reads box [offset, offset + count) into dense row-major `out` of type `type`. In OpenMode::unlocked a read
  // caught mid-flush by the writer is retried (re-opening) for up to about 2 s before its IoError is thrown.
  void read_as(std::span<const std::size_t> offset, std::span<const std::size_t> count, DType type, void* out);
  template <class T>
  void read(std::span<const std::size_t> offset, std::span<const std::size_t> count, T* out) {
    read_as(offset, count, dtype_of<T>(), out);
  }
  template <class T>
  std::vector<T> read(std::span<const std::size_t> offset, std::span<const std::size_t> count) {
    std::size_t n = 1;
    for (std::size_t c : count) n *= c;
    std::vector<T> out(n);
    read_as(offset, count, dtype_of<T>(), out.data());
    return out;
  }

  const ReadStats& stats() const { return stats_; }

 private:
  void read_once(std::span<const std::size_t> offset, std::span<const std::size_t> count, DType type, void* out);
  void read_corrected(std::span<const std::size_t> offset, std::span<const std::size_t> count, DType type, void* out);
  void load_virtual_layout();
  void plan_virtual(std::span<const std::size_t> offset, std::span<const std::size_t> count,
                    const Destination& dst);

  std::string path_, dataset_;
  ReaderOptions options_;
  std::unique_ptr<StoredDataset> main_;
  bool virtual_parallel_ = false;
  std::vector<VirtualMapping> mappings_;
  std::vector<StoredDataset*> mapping_sources_;  // per mapping; null for a missing source (allow_missing)
  std::map<std::pair<std::string, std::string>, std::unique_ptr<StoredDataset>> sources_;  // (file, dataset)
  runtime::ThreadPool pool_;
  std::vector<std::uint8_t> corrected_raw_;  // read_corrected's stored values
  std::vector<float> corrected_float_;       // and its float values when double was asked for
  std::vector<ReadScratch> scratch_;
  std::vector<ReadTask> tasks_;
  ReadStats stats_;
};

}  // namespace xpulse::io
