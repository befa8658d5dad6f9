#pragma once
// What a file declares is not trusted with memory: a damaged header can declare any extent. A dataset whose
// bytes exceed its file's size times the largest plausible compression ratio is refused before anything is
// allocated, and a failed allocation for a dataset is an error that names it (exit 2), not an internal error.
#include <cstddef>
#include <new>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::io {

// Throws IoError when product(dims) * element_bytes is beyond what `file_bytes` can plausibly hold: more than
// XPULSE_MAX_EXPANSION (default 10000) times the file and over 256 MiB.
void check_declared_size(std::span<const std::size_t> dims, std::size_t element_bytes, std::size_t file_bytes,
                         const std::string& dataset, const std::string& path);

// A buffer of n elements for `dataset`; IoError naming it when memory runs out.
template <class T>
std::vector<T> buffer_for(std::size_t n, const std::string& dataset, const std::string& path) {
  try {
    return std::vector<T>(n);
  } catch (const std::bad_alloc&) {
    throw IoError(fmt::format("not enough memory for dataset '{}' in '{}' ({:.3g} GB)", dataset, path,
                              static_cast<double>(n) * sizeof(T) / 1e9));
  } catch (const std::length_error&) {
    throw IoError(fmt::format("dataset '{}' in '{}' is too large to hold in memory", dataset, path));
  }
}

}  // namespace xpulse::io
