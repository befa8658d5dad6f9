#include "io/stored_dataset.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "io/declared_size.h"

namespace xpulse::io {
namespace {

constexpr std::size_t kContiguousTaskBytes = 4u << 20;  // slab of a contiguous dataset per task

std::size_t product(std::span<const std::size_t> v) {
  std::size_t p = 1;
  for (std::size_t x : v) p *= x;
  return p;
}

std::string coords(std::span<const std::size_t> v) { return fmt::format("[{}]", fmt::join(v, ", ")); }

}  // namespace

std::string_view layout_name(StorageLayout layout) {
  switch (layout) {
    case StorageLayout::contiguous: return "contiguous";
    case StorageLayout::chunked: return "chunked";
    case StorageLayout::compact: return "compact";
    case StorageLayout::virtual_mapping: break;
  }
  return "virtual";
}

void StoredDataset::check_declared_size() const {
  io::check_declared_size(dims_, dtype_size(dtype_), file_bytes_, name_, path_);
}

namespace {

std::string untrusted_chunk_index(hid_t dataset, hid_t space) {
  H5D_chunk_index_t index = H5D_CHUNK_IDX_BTREE;
  if (H5Dget_chunk_index_type(dataset, &index) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return "chunk index type unknown";
  }
  if (index != H5D_CHUNK_IDX_EARRAY) return "";
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> max_dims(static_cast<std::size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space, nullptr, max_dims.data());
  // The extensible array numbers chunks with the unlimited axis rotated to the front; libhdf5 1.10's
  // H5Dget_chunk_info_by_coord does not undo that rotation and returns other chunks' addresses.
  for (int d = 1; d < rank; ++d) {
    if (max_dims[static_cast<std::size_t>(d)] == H5S_UNLIMITED) {
      unsigned major = 0, minor = 0, release = 0;
      H5get_libversion(&major, &minor, &release);
      return fmt::format("extensible-array chunk index with unlimited axis {} (chunk addresses from libhdf5 "
                         "{}.{}.{} are not trusted for it)", d, major, minor, release);
    }
  }
  return "";
}

}  // namespace

StoredDataset::StoredDataset(const std::string& path, const std::string& dataset, OpenMode mode)
    : path_(path), name_(dataset), mode_(mode) {
  open();
}

StoredDataset::~StoredDataset() {
  if (fd_ >= 0) ::close(fd_);
}

void StoredDataset::open() {
  silence_hdf5_errors();
  dataset_.reset();
  file_.reset();
  file_ = std::make_unique<Reader>(path_, mode_);
  dataset_ = file_->open_dataset(name_);
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw IoError(fmt::format("cannot open '{}': {}", path_, std::strerror(errno)));
  }
  inspect();
}

void StoredDataset::inspect() {
  const hid_t d = dataset_.id();
  Handle space(H5Dget_space(d), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) throw IoError(fmt::format("cannot read the shape of '{}' in '{}'", name_, path_));
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  dims_.assign(dims.begin(), dims.end());

  Handle type(H5Dget_type(d), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.id());
  const std::size_t size = H5Tget_size(type.id());
  if (cls == H5T_INTEGER && (size == 1 || size == 2 || size == 4 || size == 8)) {
    const bool is_signed = H5Tget_sign(type.id()) == H5T_SGN_2;
    const DType u[] = {DType::u8, DType::u16, DType::u32, DType::u64};
    const DType s[] = {DType::i8, DType::i16, DType::i32, DType::i64};
    const int k = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
    dtype_ = is_signed ? s[k] : u[k];
  } else if (cls == H5T_FLOAT && (size == 4 || size == 8)) {
    dtype_ = size == 4 ? DType::f32 : DType::f64;
  } else {
    throw InputError(fmt::format("dataset '{}' in '{}' is not an integer or float32/float64 array", name_, path_));
  }

  Handle dcpl(H5Dget_create_plist(d), H5Pclose);
  fill_.assign(dtype_size(dtype_), 0);
  H5D_fill_value_t fill_status = H5D_FILL_VALUE_UNDEFINED;
  if (H5Pfill_value_defined(dcpl.id(), &fill_status) >= 0 && fill_status != H5D_FILL_VALUE_UNDEFINED) {
    H5Pget_fill_value(dcpl.id(), native_type(dtype_), fill_.data());
  }

  fallback_reason_.clear();
  filters_.clear();
  partial_chunks_unfiltered_ = false;
  chunk_index_.clear();
  chunk_extents_.clear();
  struct stat st {};
  file_bytes_ = ::fstat(fd_, &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
  chunk_dims_.clear();
  const H5D_layout_t layout = H5Pget_layout(dcpl.id());
  if (layout != H5D_VIRTUAL && H5Pget_external_count(dcpl.id()) <= 0) check_declared_size();
  if (layout == H5D_VIRTUAL) {
    layout_ = StorageLayout::virtual_mapping;
    fallback_reason_ = "virtual dataset read as a whole";
    return;
  }
  if (layout == H5D_COMPACT) {
    layout_ = StorageLayout::compact;
    fallback_reason_ = "compact layout (data held in the object header)";
    return;
  }
  if (layout == H5D_CHUNKED) {
    layout_ = StorageLayout::chunked;
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank));
    H5Pget_chunk(dcpl.id(), rank, chunk.data());
    chunk_dims_.assign(chunk.begin(), chunk.end());
    const int n = H5Pget_nfilters(dcpl.id());
    for (int i = 0; i < n; ++i) {
      unsigned flags = 0, config = 0;
      std::size_t n_values = 32;
      std::vector<unsigned> values(n_values);
      char name[256] = {0};
      const H5Z_filter_t id =
          H5Pget_filter2(dcpl.id(), static_cast<unsigned>(i), &flags, &n_values, values.data(), sizeof name, name,
                         &config);
      values.resize(std::min<std::size_t>(n_values, 32));
      filters_.push_back(FilterSpec{static_cast<int>(id), values, name});
    }
    if (!decodable_in_process(filters_)) {
      std::vector<std::string> names;
      for (const FilterSpec& f : filters_) names.push_back(fmt::format("{} ({})", f.name, f.id));
      fallback_reason_ = fmt::format("filter pipeline {} is not decoded in process", fmt::join(names, ", "));
    }
    unsigned chunk_opts = 0;
    H5Pget_chunk_opts(dcpl.id(), &chunk_opts);
    partial_chunks_unfiltered_ = (chunk_opts & H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS) != 0;
    if (fallback_reason_.empty()) fallback_reason_ = untrusted_chunk_index(d, space.id());
  } else {
    layout_ = StorageLayout::contiguous;
    if (H5Pget_external_count(dcpl.id()) > 0) fallback_reason_ = "raw data in external files";
    contiguous_address_ = H5Dget_offset(d);
    H5Eclear2(H5E_DEFAULT);
  }
  if (rank == 0) fallback_reason_ = "scalar dataset";
  if (H5Tget_order(type.id()) != H5T_ORDER_LE && size > 1) fallback_reason_ = "big-endian data";
  Handle fcpl(H5Fget_create_plist(file_->id()), H5Pclose);
  hsize_t userblock = 0;
  H5Pget_userblock(fcpl.id(), &userblock);
  if (userblock > 0) fallback_reason_ = "file has a user block";
  if (!fallback_reason_.empty()) {
    spdlog::debug("'{}' in '{}' is read with H5Dread: {}", name_, path_, fallback_reason_);
  }
}

void StoredDataset::refresh() {
  chunk_index_.clear();
  if (mode_ == OpenMode::swmr) {
    if (H5Drefresh(dataset_.id()) < 0) {
      throw IoError(fmt::format("cannot refresh '{}' in '{}': {}", name_, path_, hdf5_error_reason()));
    }
    inspect();
  } else {
    open();
  }
}

const StoredDataset::ChunkInfo* StoredDataset::chunk_info(std::span<const std::size_t> chunk_start) {
  std::size_t key = 0;
  for (std::size_t d = 0; d < dims_.size(); ++d) {
    const std::size_t grid = (dims_[d] + chunk_dims_[d] - 1) / chunk_dims_[d];
    key = key * grid + chunk_start[d] / chunk_dims_[d];
  }
  auto it = chunk_index_.find(key);
  if (it != chunk_index_.end()) return &it->second;
  std::vector<hsize_t> offset(chunk_start.begin(), chunk_start.end());
  unsigned mask = 0;
  haddr_t address = HADDR_UNDEF;
  hsize_t size = 0;
  if (H5Dget_chunk_info_by_coord(dataset_.id(), offset.data(), &mask, &address, &size) < 0) {
    throw IoError(fmt::format("dataset '{}' in '{}': cannot locate chunk at {}: {}", name_, path_,
                              coords(chunk_start), hdf5_error_reason()));
  }
  if (address != HADDR_UNDEF && !record_extent(address, static_cast<std::size_t>(size), chunk_start)) return nullptr;
  return &chunk_index_.emplace(key, ChunkInfo{address, static_cast<std::size_t>(size), mask}).first->second;
}

bool StoredDataset::record_extent(haddr_t address, std::size_t size, std::span<const std::size_t> chunk_start) {
  // Two chunks never share stored bytes: an index that says so is not describing this file.
  const std::size_t end = static_cast<std::size_t>(address) + size;
  auto next = chunk_extents_.lower_bound(address);
  const auto clash = [&](const std::map<haddr_t, ChunkExtent>::iterator& other) {
    index_conflict_ = fmt::format("chunk index places chunks {} and {} at overlapping bytes {}+{} and {}+{}",
                                  coords(chunk_start), coords(other->second.chunk_start), address, size,
                                  other->first, other->second.end - other->first);
    return false;
  };
  if (size == 0) {
    index_conflict_ = fmt::format("chunk index gives chunk {} a stored size of 0 bytes", coords(chunk_start));
    return false;
  }
  if (next != chunk_extents_.end() && next->first < end) return clash(next);
  if (next != chunk_extents_.begin()) {
    auto previous = std::prev(next);
    if (previous->second.end > address) return clash(previous);
  }
  chunk_extents_.emplace_hint(next, address, ChunkExtent{end, {chunk_start.begin(), chunk_start.end()}});
  return true;
}

void StoredDataset::plan(std::span<const std::size_t> start, std::span<const std::size_t> count,
                         const Destination& dst, std::vector<ReadTask>& tasks, ReadStats& stats) {
  const std::size_t rank = dims_.size();
  if (product(count) == 0 && rank > 0) return;
  for (std::size_t d = 0; d < rank; ++d) {
    if (start[d] + count[d] > dims_[d]) {
      throw InputError(fmt::format("selection {} + {} is outside dataset '{}' {} in '{}'", coords(start),
                                   coords(count), name_, coords(dims_), path_));
    }
  }
  if (!fallback_reason_.empty()) {
    read_with_hdf5(start, count, dst, stats);
    return;
  }
  const std::size_t dst_size = dtype_size(dst.type);
  if (layout_ == StorageLayout::contiguous) {
    if (contiguous_address_ == HADDR_UNDEF) {
      if (H5Dget_storage_size(dataset_.id()) == 0) {  // never written: every element is the fill value
        std::vector<std::uint8_t> value(dst_size);
        convert_elements(fill_.data(), dtype_, value.data(), dst.type, 1);
        fill_region(dst, count, value.data());
        return;
      }
      read_with_hdf5(start, count, dst, stats);
      return;
    }
    const std::size_t slab_bytes = product(count.subspan(1)) * dtype_size(dtype_);
    const std::size_t step = std::max<std::size_t>(1, kContiguousTaskBytes / std::max<std::size_t>(1, slab_bytes));
    for (std::size_t i = 0; i < count[0]; i += step) {
      ReadTask t;
      t.source = this;
      t.box_start.assign(start.begin(), start.end());
      t.box_count.assign(count.begin(), count.end());
      t.box_start[0] += i;
      t.box_count[0] = std::min(step, count[0] - i);
      t.address = contiguous_address_;
      t.dst = dst;
      t.dst.base += i * dst.strides[0] * dst_size;
      stats.bytes_read += product(t.box_count) * dtype_size(dtype_);
      tasks.push_back(std::move(t));
    }
    return;
  }
  const std::size_t first_task = tasks.size();
  const ReadStats before = stats;
  const std::string distrust = plan_chunks(start, count, dst, tasks, stats);
  if (distrust.empty()) return;
  // The index contradicts itself: forget what it said and let libhdf5 read this dataset from now on.
  tasks.resize(first_task);
  stats = before;
  fallback_reason_ = distrust;
  spdlog::debug("'{}' in '{}' is read with H5Dread: {}", name_, path_, fallback_reason_);
  read_with_hdf5(start, count, dst, stats);
}

bool StoredDataset::is_partial_chunk(std::span<const std::size_t> chunk_start) const {
  for (std::size_t d = 0; d < dims_.size(); ++d) {
    if (chunk_start[d] + chunk_dims_[d] > dims_[d]) return true;
  }
  return false;
}

std::string StoredDataset::plan_chunks(std::span<const std::size_t> start, std::span<const std::size_t> count,
                                       const Destination& dst, std::vector<ReadTask>& tasks, ReadStats& stats) {
  // One task per chunk that meets the box; each chunk is read and decoded exactly once per call.
  const std::size_t rank = dims_.size();
  const std::size_t dst_size = dtype_size(dst.type);
  const unsigned all_filters_skipped = filters_.empty() ? 0u : (1u << filters_.size()) - 1u;
  std::vector<std::size_t> first(rank), last(rank), idx(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    first[d] = start[d] / chunk_dims_[d];
    last[d] = (start[d] + count[d] - 1) / chunk_dims_[d];
  }
  idx = first;
  std::size_t covered = 0;  // elements of the box the tasks write: must be the box's, each once
  while (true) {
    ReadTask t;
    t.source = this;
    t.chunk_start.resize(rank);
    t.box_start.resize(rank);
    t.box_count.resize(rank);
    std::size_t offset = 0;
    for (std::size_t d = 0; d < rank; ++d) {
      t.chunk_start[d] = idx[d] * chunk_dims_[d];
      const std::size_t lo = std::max(start[d], t.chunk_start[d]);
      const std::size_t hi = std::min(start[d] + count[d], t.chunk_start[d] + chunk_dims_[d]);
      t.box_start[d] = lo - t.chunk_start[d];
      t.box_count[d] = hi - lo;
      offset += (lo - start[d]) * dst.strides[d];
    }
    covered += product(t.box_count);
    const ChunkInfo* info = chunk_info(t.chunk_start);
    if (info == nullptr) return index_conflict_;
    t.address = info->address;
    t.stored_bytes = info->size;
    t.filter_mask = info->filter_mask;
    // HDF5's "don't filter partial edge chunks" stores them raw without setting their filter mask.
    if (partial_chunks_unfiltered_ && is_partial_chunk(t.chunk_start)) t.filter_mask |= all_filters_skipped;
    t.dst = dst;
    t.dst.base += offset * dst_size;
    if (t.address != HADDR_UNDEF) {
      ++stats.chunks;
      stats.bytes_read += t.stored_bytes;
    }
    tasks.push_back(std::move(t));
    std::size_t d = rank;
    while (d > 0) {
      --d;
      if (++idx[d] <= last[d]) break;
      idx[d] = first[d];
      if (d == 0) {
        if (covered != product(count)) {
          return fmt::format("chunks planned for {} + {} cover {} elements, not {}", coords(start), coords(count),
                             covered, product(count));
        }
        return "";
      }
    }
  }
}

void StoredDataset::pread_exact(void* buf, std::size_t bytes, haddr_t address,
                                std::span<const std::size_t> where) const {
  auto* p = static_cast<std::uint8_t*>(buf);
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t r = ::pread(fd_, p + done, bytes - done, static_cast<off_t>(address + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw IoError(fmt::format("dataset '{}' in '{}': read failed at {}: {}", name_, path_, coords(where),
                                std::strerror(errno)));
    }
    if (r == 0) {
      throw IoError(fmt::format("dataset '{}' in '{}': data at {} extends past the end of the file (truncated?)",
                                   name_, path_, coords(where)));
    }
    done += static_cast<std::size_t>(r);
  }
}

void StoredDataset::execute(const ReadTask& t, ReadScratch& scratch) const {
  const std::size_t es = dtype_size(dtype_);
  if (layout_ == StorageLayout::contiguous) {
    const std::size_t dst_size = dtype_size(t.dst.type);
    for_each_run(dims_, t.box_start, t.box_count, t.dst.strides, [&](std::size_t s, std::size_t o, std::size_t n) {
      std::uint8_t* out = t.dst.base + o * dst_size;
      if (t.dst.type == dtype_) {
        pread_exact(out, n * es, t.address + s * es, t.box_start);
      } else {
        scratch.data.resize(n * es);
        pread_exact(scratch.data.data(), n * es, t.address + s * es, t.box_start);
        convert_elements(scratch.data.data(), dtype_, out, t.dst.type, n);
      }
    });
    return;
  }
  if (t.address == HADDR_UNDEF) {  // chunk never written
    std::vector<std::uint8_t> value(dtype_size(t.dst.type));
    convert_elements(fill_.data(), dtype_, value.data(), t.dst.type, 1);
    fill_region(t.dst, t.box_count, value.data());
    return;
  }
  const std::size_t chunk_bytes = product(chunk_dims_) * es;
  bool filtered = false;
  for (std::size_t k = 0; k < filters_.size(); ++k) filtered = filtered || !(t.filter_mask & (1u << k));
  if (!filtered && t.stored_bytes != chunk_bytes) {
    throw IoError(fmt::format("dataset '{}' in '{}': chunk at {} is corrupt: stored size {} bytes, expected {}",
                                 name_, path_, coords(t.chunk_start), t.stored_bytes, chunk_bytes));
  }
  // Whole uncompressed chunk going to a dense destination of the same type: read straight into place.
  if (!filtered && t.dst.type == dtype_ && t.box_count == chunk_dims_ && t.dst.strides == dense_strides(chunk_dims_)) {
    pread_exact(t.dst.base, chunk_bytes, t.address, t.chunk_start);
    return;
  }
  scratch.data.resize(t.stored_bytes);
  pread_exact(scratch.data.data(), t.stored_bytes, t.address, t.chunk_start);
  if (filtered) {
    try {
      decode_chunk(filters_, t.filter_mask, es, chunk_bytes, scratch.data, scratch.spare);
    } catch (const std::runtime_error& e) {
      throw IoError(fmt::format("dataset '{}' in '{}': chunk at {} is corrupt: {}", name_, path_,
                                   coords(t.chunk_start), e.what()));
    }
  }
  copy_region(scratch.data.data(), dtype_, chunk_dims_, t.box_start, t.box_count, t.dst);
}

void StoredDataset::read_with_hdf5(std::span<const std::size_t> start, std::span<const std::size_t> count,
                                   const Destination& dst, ReadStats& stats) {
  silence_hdf5_errors();  // libhdf5's error printing is per thread, and plans run on prefetch threads
  const std::size_t n = product(count);
  std::vector<std::uint8_t> buffer(n * dtype_size(dtype_));
  Handle file_space(H5Dget_space(dataset_.id()), H5Sclose);
  Handle memory_space;
  if (!dims_.empty()) {
    std::vector<hsize_t> s(start.begin(), start.end()), c(count.begin(), count.end());
    H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, s.data(), nullptr, c.data(), nullptr);
    memory_space = Handle(H5Screate_simple(static_cast<int>(c.size()), c.data(), nullptr), H5Sclose);
  } else {
    memory_space = Handle(H5Screate(H5S_SCALAR), H5Sclose);
  }
  if (H5Dread(dataset_.id(), native_type(dtype_), memory_space.id(), file_space.id(), H5P_DEFAULT,
              buffer.data()) < 0) {
    throw IoError(fmt::format("cannot read dataset '{}' in '{}': {}", name_, path_, hdf5_error_reason()));
  }
  ++stats.fallback_reads;
  stats.bytes_read += buffer.size();
  const std::vector<std::size_t> zeros(count.size(), 0);
  copy_region(buffer.data(), dtype_, count, zeros, count, dst);
}

}  // namespace xpulse::io
