#include "io/parallel_reader.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"

namespace xpulse::io {
namespace {

std::size_t product(std::span<const std::size_t> v) {
  std::size_t p = 1;
  for (std::size_t x : v) p *= x;
  return p;
}

}  // namespace

ParallelReader::ParallelReader(const std::string& path, const std::string& dataset, ReaderOptions options)
    : path_(path),
      dataset_(dataset),
      options_(options),
      main_(std::make_unique<StoredDataset>(path, dataset, options.mode)),
      pool_(std::max(1u, options.threads)),
      scratch_(pool_.size()) {
  if (main_->layout() == StorageLayout::virtual_mapping) load_virtual_layout();
  if (options_.correction) {
    if (main_->dtype() != options_.correction->stored_type()) {
      throw InputError(fmt::format("dataset '{}' of '{}' is {}; {} needs {} data", dataset_, path_,
                                   dtype_name(main_->dtype()), options_.correction->describe(),
                                   dtype_name(options_.correction->stored_type())));
    }
    options_.correction->check(main_->dims(), dataset_);
  }
}

ParallelReader::~ParallelReader() = default;

// Reads the stored values of the box, corrects them to float, and converts to `type` (float or double).
void ParallelReader::read_corrected(std::span<const std::size_t> offset, std::span<const std::size_t> count,
                                    DType type, void* out) {
  if (type != DType::f32 && type != DType::f64) {
    throw Error(fmt::format("corrected data of '{}' are read as float or double, not {}", dataset_, dtype_name(type)));
  }
  const std::size_t n = product(count);
  const std::size_t raw_bytes = n * dtype_size(options_.correction->stored_type());
  corrected_raw_.resize(raw_bytes);
  read_once(offset, count, options_.correction->stored_type(), corrected_raw_.data());
  if (type == DType::f32) {
    options_.correction->apply(corrected_raw_.data(), offset, count, static_cast<float*>(out));
    return;
  }
  corrected_float_.resize(n);
  options_.correction->apply(corrected_raw_.data(), offset, count, corrected_float_.data());
  double* to = static_cast<double*>(out);
  for (std::size_t i = 0; i < n; ++i) to[i] = corrected_float_[i];
}

void ParallelReader::load_virtual_layout() {
  Handle dcpl(H5Dget_create_plist(main_->dataset_id()), H5Pclose);
  VirtualLayout layout = read_virtual_layout(dcpl.id(), main_->dims().size());
  std::vector<std::string> missing;
  for (const std::string& file : layout.files) {
    if (file.find('%') != std::string::npos) continue;
    const std::string resolved = resolve_source_path(path_, file);
    std::error_code ec;
    if (std::filesystem::exists(resolved, ec)) continue;
    if (!options_.allow_missing) {
      throw IoError(fmt::format(
          "virtual dataset '{}' in '{}': source file '{}' does not exist (pass --allow-missing to read its "
          "frames as fill values)",
          dataset_, path_, resolved));
    }
    if (std::find(missing.begin(), missing.end(), resolved) == missing.end()) {
      spdlog::warn("virtual dataset '{}': source file '{}' is missing; its frames read as fill values", dataset_,
                   resolved);
      missing.push_back(resolved);
    }
  }
  virtual_parallel_ = layout.unsupported.empty();
  mappings_.clear();
  mapping_sources_.clear();
  if (!virtual_parallel_) {
    spdlog::debug("virtual dataset '{}' in '{}' is read with H5Dread: {}", dataset_, path_, layout.unsupported);
    return;
  }
  mappings_ = std::move(layout.mappings);
  // Open every source once, now: a broken source fails the job before any work, and whole-source mappings
  // learn their extent. A missing source (allow_missing) stays null and reads as the fill value.
  for (VirtualMapping& m : mappings_) {
    const std::string resolved = resolve_source_path(path_, m.file);
    StoredDataset* s = nullptr;
    if (std::find(missing.begin(), missing.end(), resolved) == missing.end()) {
      auto& slot = sources_[{resolved, m.dataset}];
      if (!slot) slot = std::make_unique<StoredDataset>(resolved, m.dataset, options_.mode);
      s = slot.get();
      if (s->layout() == StorageLayout::virtual_mapping) {
        throw InputError(fmt::format("virtual dataset '{}' in '{}': source '{}' in '{}' is itself virtual",
                                     dataset_, path_, m.dataset, resolved));
      }
      if (m.source_all && !resolve_source_box(m, s->dims())) {
        throw InputError(fmt::format("virtual dataset '{}' in '{}': source '{}' in '{}' has shape [{}], which "
                                     "does not fit its place [{}]",
                                     dataset_, path_, m.dataset, resolved, fmt::join(s->dims(), ", "),
                                     fmt::join(m.virtual_count, ", ")));
      }
    }
    mapping_sources_.push_back(s);
  }
}

std::vector<std::size_t> ParallelReader::read_granule() const {
  const StoredDataset* d = main_.get();
  if (virtual_parallel_ && !mappings_.empty()) {
    const StoredDataset* s = mapping_sources_[0];
    if (s == nullptr || s->layout() != StorageLayout::chunked) return {};
    std::vector<std::size_t> g(dims().size(), 1);
    for (std::size_t k = 0; k < mappings_[0].source_axis.size(); ++k) {
      if (mappings_[0].source_axis[k] >= 0) g[static_cast<std::size_t>(mappings_[0].source_axis[k])] = s->chunk_dims()[k];
    }
    return g;
  }
  return d->layout() == StorageLayout::chunked ? d->chunk_dims() : std::vector<std::size_t>{};
}

std::string ParallelReader::describe() const {
  const StoredDataset& d = *main_;
  std::string s = fmt::format("'{}' {} {} {}", dataset_, dtype_name(d.dtype()), fmt::join(d.dims(), "x"),
                              layout_name(d.layout()));
  if (d.layout() == StorageLayout::chunked) {
    s += fmt::format(" chunks {}", fmt::join(d.chunk_dims(), "x"));
    for (const FilterSpec& f : d.filters()) s += fmt::format(" +{}", f.name.empty() ? std::to_string(f.id) : f.name);
  }
  if (d.layout() == StorageLayout::virtual_mapping) {
    s += fmt::format(" over {} mappings{}", mappings_.size(),
                     virtual_parallel_ ? ", parallel per source" : ", through H5Dread");
  } else {
    s += d.fallback_reason().empty() ? ", parallel" : ", through H5Dread (" + d.fallback_reason() + ")";
  }
  return s;
}

void ParallelReader::refresh() {
  main_->refresh();
  sources_.clear();
  if (main_->layout() == StorageLayout::virtual_mapping) load_virtual_layout();
}

void ParallelReader::plan_virtual(std::span<const std::size_t> offset, std::span<const std::size_t> count,
                                  const Destination& dst) {
  const std::size_t rank = offset.size();
  const std::size_t dst_size = dtype_size(dst.type);
  // Prefill with the fill value when mappings (or missing sources) leave part of the request uncovered.
  std::size_t covered = 0;
  std::vector<std::size_t> lo(rank), hi(rank);
  auto intersect = [&](const VirtualMapping& m) {
    for (std::size_t d = 0; d < rank; ++d) {
      lo[d] = std::max(offset[d], m.virtual_start[d]);
      hi[d] = std::min(offset[d] + count[d], m.virtual_start[d] + m.virtual_count[d]);
      if (lo[d] >= hi[d]) return std::size_t{0};
    }
    std::size_t n = 1;
    for (std::size_t d = 0; d < rank; ++d) n *= hi[d] - lo[d];
    return n;
  };
  for (std::size_t i = 0; i < mappings_.size(); ++i) {
    if (mapping_sources_[i] != nullptr) covered += intersect(mappings_[i]);
  }
  if (covered < product(count)) {
    std::vector<std::uint8_t> value(dst_size);
    convert_elements(main_->fill_value().data(), main_->dtype(), value.data(), dst.type, 1);
    fill_region(dst, count, value.data());
  }
  for (std::size_t i = 0; i < mappings_.size(); ++i) {
    const VirtualMapping& m = mappings_[i];
    StoredDataset* s = mapping_sources_[i];
    if (s == nullptr || intersect(m) == 0) continue;
    const std::size_t srank = m.source_start.size();
    std::vector<std::size_t> start(srank), extent(srank);
    Destination sub{dst.base, dst.type, std::vector<std::size_t>(srank, 0)};
    std::size_t shift = 0;
    for (std::size_t d = 0; d < rank; ++d) shift += (lo[d] - offset[d]) * dst.strides[d];
    sub.base += shift * dst_size;
    for (std::size_t k = 0; k < srank; ++k) {
      const int v = m.source_axis[k];
      if (v < 0) {
        start[k] = m.source_start[k];
        extent[k] = 1;
        sub.strides[k] = k + 1 == srank ? 1 : 0;
      } else {
        const auto vd = static_cast<std::size_t>(v);
        start[k] = m.source_start[k] + (lo[vd] - m.virtual_start[vd]);
        extent[k] = hi[vd] - lo[vd];
        sub.strides[k] = dst.strides[vd];
      }
    }
    if (sub.strides[srank - 1] != 1) {
      // The source's fastest axis is not the destination's fastest: go through a dense buffer per mapping.
      throw InputError(fmt::format("virtual dataset '{}' in '{}': a mapping transposes axes, which is not supported",
                                   dataset_, path_));
    }
    s->plan(start, extent, sub, tasks_, stats_);
  }
}

void ParallelReader::read_as(std::span<const std::size_t> offset, std::span<const std::size_t> count, DType type,
                             void* out) {
  // A file that a non-SWMR writer keeps open and flushes (OpenMode::unlocked) can be caught mid-flush, with its
  // chunk index not yet consistent on disk: such a read is retried after re-opening, for up to about 2 s.
  for (int attempt = 0;; ++attempt) {
    try {
      if (options_.correction) {
        read_corrected(offset, count, type, out);
      } else {
        read_once(offset, count, type, out);
      }
      return;
    } catch (const IoError& e) {
      if (options_.mode != OpenMode::unlocked || attempt >= 40) throw;
      spdlog::debug("read of '{}' in '{}' retried: {}", dataset_, path_, e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      try {
        refresh();
      } catch (const Error& again) {
        spdlog::debug("re-opening '{}' failed: {}", path_, again.what());
      }
    }
  }
}

void ParallelReader::read_once(std::span<const std::size_t> offset, std::span<const std::size_t> count, DType type,
                               void* out) {
  const std::vector<std::size_t>& dims = main_->dims();
  if (offset.size() != dims.size() || count.size() != dims.size()) {
    throw InputError(fmt::format("selection of rank {} for dataset '{}' of rank {} in '{}'", count.size(), dataset_,
                                 dims.size(), path_));
  }
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (offset[d] + count[d] > dims[d]) {
      throw InputError(fmt::format("selection [{}] + [{}] is outside dataset '{}' [{}] in '{}'", fmt::join(offset, ", "),
                                   fmt::join(count, ", "), dataset_, fmt::join(dims, ", "), path_));
    }
  }
  if (product(count) == 0) return;
  Destination dst{static_cast<std::uint8_t*>(out), type, dense_strides(count)};
  tasks_.clear();
  if (virtual_parallel_) {
    plan_virtual(offset, count, dst);
  } else {
    main_->plan(offset, count, dst, tasks_, stats_);
  }
  pool_.parallel_for(tasks_.size(), [&](std::size_t i, unsigned worker) {
    tasks_[i].source->execute(tasks_[i], scratch_[worker]);
  });
}

}  // namespace xpulse::io
