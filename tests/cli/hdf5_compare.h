#pragma once
// Bit-for-bit comparison of every dataset of two HDF5 files (virtual datasets are read through their sources).
#include <hdf5.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace xpulse::testing {

inline std::vector<std::string> dataset_names(const std::string& path) {
  std::vector<std::string> names;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return names;
  H5Ovisit(
      f, H5_INDEX_NAME, H5_ITER_INC,
      [](hid_t, const char* name, const H5O_info_t* info, void* data) -> herr_t {
        if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(data)->push_back(name);
        return 0;
      },
      &names);
  H5Fclose(f);
  return names;
}

// The stored values of a dataset as bytes of its native type ("" if it cannot be read).
inline std::string dataset_bytes(const std::string& path, const std::string& name) {
  std::string bytes;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return bytes;
  const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  if (d >= 0) {
    const hid_t type = H5Dget_type(d);
    const hid_t native = H5Tget_native_type(type, H5T_DIR_ASCEND);
    const hid_t space = H5Dget_space(d);
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
    bytes.assign(n * H5Tget_size(native), '\0');
    if (H5Dread(d, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0) bytes = "unreadable";
    H5Sclose(space);
    H5Tclose(native);
    H5Tclose(type);
    H5Dclose(d);
  }
  H5Fclose(f);
  return bytes;
}

// Every dataset of `expected` is in `actual` with the same bits (NaN payloads included).
inline void expect_same_datasets(const std::string& expected, const std::string& actual) {
  const std::vector<std::string> names = dataset_names(expected);
  ASSERT_FALSE(names.empty()) << expected;
  EXPECT_EQ(names, dataset_names(actual));
  for (const std::string& name : names) {
    const std::string a = dataset_bytes(expected, name), b = dataset_bytes(actual, name);
    EXPECT_FALSE(a.empty()) << name;
    EXPECT_TRUE(a == b) << name << " differs between " << expected << " and " << actual;
  }
}

}  // namespace xpulse::testing
