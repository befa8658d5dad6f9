#pragma once
// One dataset whose bytes live in its own file (anything but a virtual dataset), read without libhdf5 on the
// data path: HDF5 is asked once, serially, where each chunk is (H5Dget_chunk_info_by_coord) or where the
// contiguous data starts (H5Dget_offset); worker threads then pread() the stored bytes, decode them
// (chunk_filters.h) and scatter them into the caller's buffer. Anything we cannot do that way (compact layout,
// external storage, big-endian, a filter we do not decode, a user block, a chunk index whose addresses libhdf5
// reports wrongly, an index that contradicts itself) is read with H5Dread and says so at debug level. Partial
// edge chunks stored unfiltered (H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS) and per-chunk filter masks are honoured.
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "io/chunk_filters.h"
#include "io/dtype.h"
#include "io/hdf5.h"
#include "io/region_copy.h"

namespace xpulse::io {

enum class StorageLayout { contiguous, chunked, compact, virtual_mapping };
std::string_view layout_name(StorageLayout layout);

// Counters of what a read did; summed over reads.
struct ReadStats {
  std::size_t chunks = 0;          // chunks read from the file and decoded in process
  std::size_t bytes_read = 0;      // stored bytes read with pread
  std::size_t fallback_reads = 0;  // H5Dread calls
};

class StoredDataset;

// One unit of parallel work: a chunk (or a slab of a contiguous dataset) and where its box goes.
struct ReadTask {
  const StoredDataset* source = nullptr;
  std::vector<std::size_t> chunk_start;  // element coordinates of the chunk's origin (chunked only)
  std::vector<std::size_t> box_start;    // box inside the chunk (chunked) or the dataset (contiguous)
  std::vector<std::size_t> box_count;
  haddr_t address = HADDR_UNDEF;  // HADDR_UNDEF: not allocated, read as fill value
  std::size_t stored_bytes = 0;
  unsigned filter_mask = 0;
  Destination dst;  // base points at the box's first element
};

// Per-worker buffers reused across tasks.
struct ReadScratch {
  std::vector<std::uint8_t> data, spare;
};

class StoredDataset {
 public:
  StoredDataset(const std::string& path, const std::string& dataset, OpenMode mode);
  ~StoredDataset();
  StoredDataset(const StoredDataset&) = delete;
  StoredDataset& operator=(const StoredDataset&) = delete;

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  const std::vector<std::size_t>& dims() const { return dims_; }
  DType dtype() const { return dtype_; }
  StorageLayout layout() const { return layout_; }
  const std::vector<std::size_t>& chunk_dims() const { return chunk_dims_; }  // empty unless chunked
  const std::vector<FilterSpec>& filters() const { return filters_; }
  // Empty when the parallel path applies, otherwise why H5Dread is used.
  const std::string& fallback_reason() const { return fallback_reason_; }
  const std::vector<std::uint8_t>& fill_value() const { return fill_; }  // one element of dtype()
  hid_t file_id() const { return file_->id(); }
  hid_t dataset_id() const { return dataset_.id(); }

  // Picks up a new extent: H5Drefresh for SWMR, a re-open otherwise. Forgets the chunk index.
  void refresh();

  // Serial (calls HDF5): appends the tasks that read box [start, start + count) into dst. Reads that must go
  // through H5Dread happen here, at once.
  void plan(std::span<const std::size_t> start, std::span<const std::size_t> count, const Destination& dst,
            std::vector<ReadTask>& tasks, ReadStats& stats);
  // Thread-safe, no HDF5 calls. Throws InputError naming the dataset and chunk for corrupt or truncated data.
  void execute(const ReadTask& task, ReadScratch& scratch) const;

 private:
  struct ChunkInfo {
    haddr_t address;
    std::size_t size;
    unsigned filter_mask;
  };
  void open();
  void inspect();
  void read_with_hdf5(std::span<const std::size_t> start, std::span<const std::size_t> count,
                      const Destination& dst, ReadStats& stats);
  struct ChunkExtent {
    std::size_t end;  // one past the chunk's last stored byte
    std::vector<std::size_t> chunk_start;
  };
  // Refuses a declared extent far larger than the file can hold (a damaged header) before anything is allocated.
  void check_declared_size() const;
  // The chunk's index entry, or nullptr when it contradicts an earlier one (index_conflict_ says how).
  const ChunkInfo* chunk_info(std::span<const std::size_t> chunk_start);
  bool record_extent(haddr_t address, std::size_t size, std::span<const std::size_t> chunk_start);
  bool is_partial_chunk(std::span<const std::size_t> chunk_start) const;
  // Plans the chunks of a box; "" when done, otherwise why the chunk index cannot be trusted (nothing planned).
  std::string plan_chunks(std::span<const std::size_t> start, std::span<const std::size_t> count,
                          const Destination& dst, std::vector<ReadTask>& tasks, ReadStats& stats);
  void pread_exact(void* buf, std::size_t bytes, haddr_t address, std::span<const std::size_t> where) const;

  std::string path_, name_;
  OpenMode mode_;
  std::unique_ptr<Reader> file_;
  Handle dataset_;
  int fd_ = -1;
  std::vector<std::size_t> dims_, chunk_dims_;
  DType dtype_ = DType::f32;
  StorageLayout layout_ = StorageLayout::contiguous;
  std::vector<FilterSpec> filters_;
  std::string fallback_reason_;
  std::vector<std::uint8_t> fill_;
  haddr_t contiguous_address_ = HADDR_UNDEF;
  std::unordered_map<std::size_t, ChunkInfo> chunk_index_;  // by linear chunk number
  std::map<haddr_t, ChunkExtent> chunk_extents_;            // stored bytes of the chunks looked up, by address
  std::string index_conflict_;
  bool partial_chunks_unfiltered_ = false;  // H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS
  std::size_t file_bytes_ = 0;
};

}  // namespace xpulse::io
