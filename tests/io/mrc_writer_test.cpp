// The MRC map header carries the box, mode, cell, axis order, statistics and origin of MRC2014.
#include "io/mrc_writer.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "core/error.h"

namespace xpulse::io {
namespace {

TEST(MrcWriter, HeaderAndDataReadBack) {
  const std::string path = (std::filesystem::temp_directory_path() / "xpulse_mrc_test.mrc").string();
  std::vector<float> data(5 * 3 * 7);
  for (std::size_t k = 0; k < data.size(); ++k) data[k] = static_cast<float>(k) - 10.0f;
  write_mrc(path, data, 7, 3, 5, 2.5, "test map");
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  ASSERT_EQ(bytes.size(), 1024 + data.size() * 4);
  auto word = [&](int i) {
    std::int32_t v;
    std::memcpy(&v, bytes.data() + 4 * i, 4);
    return v;
  };
  auto real = [&](int i) {
    float v;
    std::memcpy(&v, bytes.data() + 4 * i, 4);
    return v;
  };
  EXPECT_EQ(word(0), 7);
  EXPECT_EQ(word(1), 3);
  EXPECT_EQ(word(2), 5);
  EXPECT_EQ(word(3), 2);
  EXPECT_EQ(word(7), 7);
  EXPECT_FLOAT_EQ(real(10), 17.5f);
  EXPECT_FLOAT_EQ(real(11), 7.5f);
  EXPECT_FLOAT_EQ(real(12), 12.5f);
  EXPECT_FLOAT_EQ(real(13), 90.0f);
  EXPECT_EQ(word(16), 1);
  EXPECT_EQ(word(18), 3);
  EXPECT_FLOAT_EQ(real(19), -10.0f);
  EXPECT_FLOAT_EQ(real(20), 94.0f);
  EXPECT_FLOAT_EQ(real(21), 42.0f);
  EXPECT_EQ(word(22), 1);
  EXPECT_FLOAT_EQ(real(49), -7.5f);
  EXPECT_EQ(std::string(bytes.data() + 208, 4), "MAP ");
  EXPECT_EQ(static_cast<unsigned char>(bytes[212]), 0x44);
  EXPECT_EQ(word(55), 1);
  EXPECT_EQ(std::string(bytes.data() + 224, 8), "test map");
  float last;
  std::memcpy(&last, bytes.data() + bytes.size() - 4, 4);
  EXPECT_FLOAT_EQ(last, data.back());
}

TEST(MrcWriter, BadInputIsRefused) {
  EXPECT_THROW(write_mrc("/tmp/x.mrc", std::vector<float>(5), 2, 2, 2, 1.0, ""), InvalidArgument);
  EXPECT_THROW(write_mrc("/tmp/x.mrc", std::vector<float>(8), 2, 2, 2, 0.0, ""), InvalidArgument);
  EXPECT_THROW(write_mrc("/nonexistent/dir/x.mrc", std::vector<float>(8), 2, 2, 2, 1.0, ""), IoError);
}

}  // namespace
}  // namespace xpulse::io
