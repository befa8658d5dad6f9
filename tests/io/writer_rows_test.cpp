// io::Writer::write_rows: a dataset filled batch by batch reads back as if written whole; rows outside it or
// partial rows are IoErrors naming the dataset.
#include <unistd.h>

#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/hdf5.h"

namespace xpulse::io {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("xpulse_rows_" + std::to_string(getpid()) + "_" + name)).string();
}

TEST(WriterRows, BatchesReadBackAsOneDataset) {
  const std::string path = temp_path("rows.h5");
  std::vector<float> all(5 * 3 * 4);
  std::iota(all.begin(), all.end(), 0.5f);
  {
    Writer w(path);
    w.write<float>("/entry/data", {}, std::vector<std::size_t>{5, 3, 4}, "ADU", std::vector<std::size_t>{1, 3, 4});
    w.write_rows<float>("/entry/data", 2, std::span<const float>(all).subspan(24, 36));
    w.write_rows<float>("/entry/data", 0, std::span<const float>(all).subspan(0, 24));
    w.close();
  }
  const Reader r(path);
  EXPECT_EQ(r.read<float>("/entry/data"), all);
  std::filesystem::remove(path);
}

TEST(WriterRows, OutsideTheDatasetOrPartialRowsAreErrors) {
  const std::string path = temp_path("bad.h5");
  Writer w(path);
  w.write<float>("/d", {}, std::vector<std::size_t>{4, 6});
  const std::vector<float> row(6, 1.0f), two_rows(12, 1.0f), partial(5, 1.0f);
  EXPECT_THROW(w.write_rows<float>("/d", 3, two_rows), IoError);
  EXPECT_THROW(w.write_rows<float>("/d", 0, partial), IoError);
  EXPECT_THROW(w.write_rows<float>("/missing", 0, row), IoError);
  try {
    w.write_rows<float>("/d", 4, row);
    ADD_FAILURE() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("rows from 4 of '/d' (4 rows of 6 values)"), std::string::npos) << e.what();
  }
  w.write_rows<float>("/d", 3, row);
  w.close();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace xpulse::io
