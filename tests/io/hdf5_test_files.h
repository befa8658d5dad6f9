#pragma once
// Writes small HDF5 test files with the C API: any layout, chunking and filter pipeline (plugins included),
// and virtual datasets. The reference for every reader test is a plain H5Dread of the same file.
#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/dtype.h"
#include "io/hdf5.h"

namespace xpulse::testing {

struct Filter {
  int id;
  std::vector<unsigned> cd;
};

// Deterministic, compressible test values of any type: a smooth pattern plus small hashed noise; floats also
// get negatives, fractions and one NaN.
inline std::vector<std::uint8_t> pattern(io::DType t, std::size_t n, unsigned salt = 0) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t h = (i + 1 + salt * 7919ull) * 0x9E3779B97F4A7C15ull;
    v[i] = static_cast<double>((i % 97) * 3 + (h >> 60));
  }
  const bool is_float = t == io::DType::f32 || t == io::DType::f64;
  if (is_float) {
    for (std::size_t i = 0; i < n; ++i) v[i] = (v[i] - 100.0) * 0.37;
    if (n > 5) v[5] = std::nan("");
  }
  std::vector<std::uint8_t> out(n * io::dtype_size(t));
  io::convert_elements(v.data(), io::DType::f64, out.data(), t, n);
  return out;
}

inline hid_t create_or_open(const std::string& path) {
  if (std::filesystem::exists(path)) return H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  return H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
}

// Writes `data` (native layout of `type`) as dataset `name`; `chunks` empty = contiguous.
inline void write_dataset(const std::string& path, const std::string& name, io::DType type,
                          const std::vector<hsize_t>& dims, const std::vector<std::uint8_t>& data,
                          const std::vector<hsize_t>& chunks = {}, const std::vector<Filter>& filters = {}) {
  const hid_t file = create_or_open(path);
  if (file < 0) throw std::runtime_error("cannot create " + path);
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (!chunks.empty()) {
    H5Pset_chunk(dcpl, static_cast<int>(chunks.size()), chunks.data());
    for (const Filter& f : filters) {
      if (f.id == H5Z_FILTER_DEFLATE) {
        H5Pset_deflate(dcpl, f.cd.empty() ? 4 : f.cd[0]);
      } else if (f.id == H5Z_FILTER_SHUFFLE) {
        H5Pset_shuffle(dcpl);
      } else if (f.id == H5Z_FILTER_FLETCHER32) {
        H5Pset_fletcher32(dcpl);
      } else if (H5Pset_filter(dcpl, f.id, H5Z_FLAG_MANDATORY, f.cd.size(), f.cd.data()) < 0) {
        throw std::runtime_error("cannot set filter " + std::to_string(f.id));
      }
    }
  }
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t ftype = H5Tcopy(io::native_type(type));
  const hid_t d = H5Dcreate2(file, name.c_str(), ftype, space, lcpl, dcpl, H5P_DEFAULT);
  if (d < 0) throw std::runtime_error("cannot create dataset " + name + " in " + path);
  if (!data.empty() && H5Dwrite(d, io::native_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
    throw std::runtime_error("cannot write dataset " + name + " (filter plugin missing?)");
  }
  H5Tclose(ftype);
  H5Dclose(d);
  H5Pclose(lcpl);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(file);
}

// The reference: a plain H5Dread of box [start, start + count) in the dataset's own native type.
inline std::vector<std::uint8_t> h5dread(const std::string& path, const std::string& name, io::DType type,
                                         const std::vector<hsize_t>& start, const std::vector<hsize_t>& count) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  const hid_t fspace = H5Dget_space(d);
  H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  const hid_t mspace = H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr);
  std::size_t n = 1;
  for (hsize_t c : count) n *= c;
  std::vector<std::uint8_t> out(n * io::dtype_size(type));
  const herr_t rc = H5Dread(d, io::native_type(type), mspace, fspace, H5P_DEFAULT, out.data());
  H5Sclose(mspace);
  H5Sclose(fspace);
  H5Dclose(d);
  H5Fclose(file);
  if (rc < 0) throw std::runtime_error("reference H5Dread failed for " + name);
  return out;
}

// Overwrites the stored bytes of the chunk at `coord` with junk (keeping its first and last two bytes), so that
// its filters fail to decode it.
inline void corrupt_chunk(const std::string& path, const std::string& name, const std::vector<hsize_t>& coord) {
  haddr_t address = 0;
  hsize_t size = 0;
  {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
    unsigned mask = 0;
    const herr_t rc = H5Dget_chunk_info_by_coord(d, coord.data(), &mask, &address, &size);
    H5Dclose(d);
    H5Fclose(f);
    if (rc < 0 || size < 8) throw std::runtime_error("no chunk to corrupt in " + name);
  }
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(address + 2));
  const std::string junk(static_cast<std::size_t>(size) - 4, '\x5a');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

}  // namespace xpulse::testing
