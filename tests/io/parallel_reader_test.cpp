// The parallel reader must return exactly the bytes a plain H5Dread returns, for every layout, filter and
// dtype it claims, for whole datasets and for boxes that cut chunks; and fail clearly on damaged data.
#include "io/parallel_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "hdf5_test_files.h"

namespace xpulse::io {
// gtest prints a dtype by its name.
static void PrintTo(DType t, std::ostream* os) { *os << dtype_name(t); }

namespace {

using testing::Filter;

// Files of this test process live in one folder, removed when the process ends.
struct TempFolder {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("xpulse_reader_" + std::to_string(::getpid()));
  TempFolder() { std::filesystem::create_directories(dir); }
  ~TempFolder() { std::filesystem::remove_all(dir); }
};

std::string temp_path(const std::string& name) {
  static TempFolder folder;
  static int counter = 0;
  return (folder.dir / (std::to_string(counter++) + "_" + name)).string();
}

struct ReaderCase {
  std::string label;
  std::vector<hsize_t> chunks;  // empty = contiguous
  std::vector<Filter> filters;
};
// gtest prints the case by its label.
void PrintTo(const ReaderCase& c, std::ostream* os) { *os << c.label; }

const std::vector<hsize_t> kDims = {7, 13, 19};  // deliberately not a multiple of any chunk shape

std::vector<ReaderCase> cases() {
  const Filter deflate{H5Z_FILTER_DEFLATE, {4}}, shuffle{H5Z_FILTER_SHUFFLE, {}};
  const std::vector<hsize_t> frame = {1, 13, 19}, tile = {7, 4, 8}, odd = {3, 5, 7};
  return {
      {"contiguous", {}, {}},
      {"frame_chunks", frame, {}},
      {"tile_chunks", tile, {}},
      {"odd_chunks", odd, {}},
      {"deflate", odd, {deflate}},
      {"shuffle_deflate", frame, {shuffle, deflate}},
      {"lz4", odd, {{32004, {0}}}},
      {"lz4_small_blocks", tile, {{32004, {64}}}},
      {"blosc_lz4", odd, {{32001, {0, 0, 0, 0, 5, 1, 1}}}},
      {"blosc_zstd_bitshuffle", frame, {{32001, {0, 0, 0, 0, 5, 2, 5}}}},
      {"blosc_zlib_noshuffle", tile, {{32001, {0, 0, 0, 0, 3, 0, 4}}}},
      {"bitshuffle", odd, {{32008, {0, 0, 0, 0, 0}}}},
      {"bitshuffle_lz4", frame, {{32008, {0, 0, 0, 0, 2}}}},
      {"bitshuffle_zstd", tile, {{32008, {0, 0, 0, 0, 3, 3}}}},
      {"fletcher32_via_h5dread", odd, {{H5Z_FILTER_FLETCHER32, {}}, deflate}},
  };
}

class ReaderLayouts : public ::testing::TestWithParam<std::tuple<ReaderCase, DType>> {};

TEST_P(ReaderLayouts, ByteIdenticalToH5Dread) {
  const auto& [c, type] = GetParam();
  const std::string path = temp_path(c.label + ".h5");
  const std::size_t n = kDims[0] * kDims[1] * kDims[2];
  testing::write_dataset(path, "/entry/data", type, kDims, testing::pattern(type, n), c.chunks, c.filters);

  for (unsigned threads : {1u, 3u}) {
    ParallelReader reader(path, "/entry/data", {threads});
    ASSERT_EQ(reader.dtype(), type);
    ASSERT_EQ(reader.dims(), std::vector<std::size_t>(kDims.begin(), kDims.end()));
    const std::vector<std::vector<hsize_t>> boxes = {
        {0, 0, 0, 7, 13, 19},  // everything
        {2, 3, 4, 3, 9, 13},   // cuts chunks on every axis
        {6, 12, 0, 1, 1, 19},  // the last row, in the partial edge chunks
        {0, 5, 7, 7, 1, 1},    // one pixel over all frames (a trace)
    };
    for (const auto& b : boxes) {
      const std::vector<hsize_t> start(b.begin(), b.begin() + 3), count(b.begin() + 3, b.end());
      const auto expected = testing::h5dread(path, "/entry/data", type, start, count);
      std::vector<std::uint8_t> got(expected.size(), 0xAB);
      const std::vector<std::size_t> s(start.begin(), start.end()), k(count.begin(), count.end());
      reader.read_as(s, k, type, got.data());
      EXPECT_EQ(0, std::memcmp(got.data(), expected.data(), got.size()))
          << c.label << " " << dtype_name(type) << " threads " << threads << " box " << b[0] << "," << b[1] << ","
          << b[2];
      // Converted to float32, as the fitter reads it: identical to HDF5's own conversion.
      const auto expected_f = testing::h5dread(path, "/entry/data", DType::f32, start, count);
      const std::vector<float> got_f = reader.read<float>(s, k);
      EXPECT_EQ(0, std::memcmp(got_f.data(), expected_f.data(), expected_f.size())) << c.label << " as float32";
    }
    const bool parallel = c.label.find("via_h5dread") == std::string::npos;
    EXPECT_EQ(reader.stats().fallback_reads == 0, parallel) << reader.describe();
  }
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<ReaderCase, DType>>& info) {
  return std::get<0>(info.param).label + "_" + std::string(dtype_name(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, ReaderLayouts,
                         ::testing::Combine(::testing::ValuesIn(cases()),
                                            ::testing::Values(DType::u16, DType::i32, DType::f32, DType::f64)),
                         case_name);

TEST(ParallelReader, EveryIntegerWidthAndUnwrittenChunksReadAsFillValue) {
  for (DType type : {DType::u8, DType::i8, DType::i16, DType::u32, DType::u64, DType::i64}) {
    const std::string path = temp_path("widths.h5");
    const std::size_t n = kDims[0] * kDims[1] * kDims[2];
    testing::write_dataset(path, "/d", type, kDims, testing::pattern(type, n), {2, 5, 5},
                           {{H5Z_FILTER_SHUFFLE, {}}, {H5Z_FILTER_DEFLATE, {1}}});
    ParallelReader reader(path, "/d", {2});
    const auto expected = testing::h5dread(path, "/d", type, {0, 0, 0}, kDims);
    std::vector<std::uint8_t> got(expected.size());
    reader.read_as(std::vector<std::size_t>{0, 0, 0}, std::vector<std::size_t>{7, 13, 19}, type, got.data());
    EXPECT_EQ(0, std::memcmp(got.data(), expected.data(), got.size())) << dtype_name(type);
  }
  // A chunked dataset created but never written, with a fill value: every read is the fill value.
  const std::string path = temp_path("fill.h5");
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t dims[2] = {10, 10}, chunk[2] = {4, 4};
  const hid_t space = H5Screate_simple(2, dims, nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 2, chunk);
  H5Pset_deflate(dcpl, 1);
  const std::int32_t fill = -7;
  H5Pset_fill_value(dcpl, H5T_NATIVE_INT32, &fill);
  const hid_t d = H5Dcreate2(file, "/empty", H5T_STD_I32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Dclose(d);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(file);
  ParallelReader reader(path, "/empty");
  const auto values = reader.read<std::int32_t>(std::vector<std::size_t>{1, 2}, std::vector<std::size_t>{8, 7});
  for (std::int32_t v : values) ASSERT_EQ(v, -7);
}

TEST(ParallelReader, CorruptChunkIsAnErrorNamingDatasetAndChunk) {
  const std::string path = temp_path("corrupt.h5");
  const std::size_t n = kDims[0] * kDims[1] * kDims[2];
  testing::write_dataset(path, "/entry/data", DType::u16, kDims, testing::pattern(DType::u16, n), {1, 13, 19},
                         {{H5Z_FILTER_DEFLATE, {4}}});
  testing::corrupt_chunk(path, "/entry/data", {3, 0, 0});
  ParallelReader reader(path, "/entry/data", {2});
  try {
    reader.read<float>(std::vector<std::size_t>{0, 0, 0}, std::vector<std::size_t>{7, 13, 19});
    FAIL() << "a corrupt chunk was read without error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dataset '/entry/data'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("chunk at [3, 0, 0] is corrupt"), std::string::npos) << e.what();
  }
  // Frames before the damaged one still read.
  EXPECT_NO_THROW(reader.read<float>(std::vector<std::size_t>{0, 0, 0}, std::vector<std::size_t>{3, 13, 19}));
}

TEST(ParallelReader, TruncatedFileIsAnError) {
  const std::string path = temp_path("truncated.h5");
  const std::size_t n = 64 * 32 * 32;
  testing::write_dataset(path, "/data", DType::f32, {64, 32, 32}, testing::pattern(DType::f32, n));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  try {
    ParallelReader reader(path, "/data");
    reader.read<float>(std::vector<std::size_t>{0, 0, 0}, std::vector<std::size_t>{64, 32, 32});
    FAIL() << "a truncated file was read without error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_TRUE(what.find("truncated") != std::string::npos) << what;
  }
}

TEST(ParallelReader, BadSelectionAndDatasetAreInputErrors) {
  const std::string path = temp_path("small.h5");
  testing::write_dataset(path, "/data", DType::f32, {4, 4}, testing::pattern(DType::f32, 16));
  EXPECT_THROW(ParallelReader(path, "/nope"), InputError);
  ParallelReader reader(path, "/data");
  EXPECT_THROW(reader.read<float>(std::vector<std::size_t>{2, 0}, std::vector<std::size_t>{3, 4}), InputError);
  EXPECT_THROW(reader.read<float>(std::vector<std::size_t>{0}, std::vector<std::size_t>{4}), InputError);
}

// A VDS stacking 8 source files along frames, as detector DAQs write them; sources of rank 3 (blocks of
// frames) and of rank 2 (one frame per file) both map in.
struct VdsFiles {
  std::string vds;
  std::vector<std::string> sources;
};

VdsFiles make_vds(const std::string& tag, bool frame_per_file) {
  const std::size_t n_sources = 8, per = frame_per_file ? 1 : 3, ny = 13, nx = 19;
  VdsFiles f;
  f.vds = temp_path(tag + "_vds.h5");
  const hsize_t vdims[3] = {n_sources * per, ny, nx};
  const hid_t vspace = H5Screate_simple(3, vdims, nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  for (std::size_t i = 0; i < n_sources; ++i) {
    const std::string src = temp_path(tag + "_part" + std::to_string(i) + ".h5");
    f.sources.push_back(src);
    std::vector<hsize_t> sdims = frame_per_file ? std::vector<hsize_t>{ny, nx} : std::vector<hsize_t>{per, ny, nx};
    std::vector<hsize_t> chunks = frame_per_file ? std::vector<hsize_t>{ny, 8} : std::vector<hsize_t>{1, ny, nx};
    testing::write_dataset(src, "/data", DType::u16, sdims, testing::pattern(DType::u16, per * ny * nx, i), chunks,
                           {{32004, {0}}});
    const hsize_t start[3] = {i * per, 0, 0}, count[3] = {per, ny, nx};
    H5Sselect_hyperslab(vspace, H5S_SELECT_SET, start, nullptr, count, nullptr);
    const hid_t sspace = H5Screate_simple(static_cast<int>(sdims.size()), sdims.data(), nullptr);
    // Stored relative to the VDS file, as DAQs do.
    H5Pset_virtual(dcpl, vspace, std::filesystem::path(src).filename().c_str(), "/data", sspace);
    H5Sclose(sspace);
  }
  const std::uint16_t fill = 65535;
  H5Pset_fill_value(dcpl, H5T_NATIVE_UINT16, &fill);
  H5Sselect_all(vspace);
  const hid_t file = H5Fcreate(f.vds.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t d = H5Dcreate2(file, "/entry/data", H5T_STD_U16LE, vspace, lcpl, dcpl, H5P_DEFAULT);
  H5Pclose(lcpl);
  H5Dclose(d);
  H5Fclose(file);
  H5Pclose(dcpl);
  H5Sclose(vspace);
  return f;
}

TEST(ParallelReaderVirtual, EightSourcesByteIdenticalToH5Dread) {
  for (bool frame_per_file : {false, true}) {
    const VdsFiles f = make_vds(frame_per_file ? "frames" : "blocks", frame_per_file);
    ParallelReader reader(f.vds, "/entry/data", {3});
    EXPECT_EQ(reader.layout(), StorageLayout::virtual_mapping);
    const hsize_t n = reader.dims()[0];
    const std::vector<std::vector<hsize_t>> boxes = {{0, 0, 0, n, 13, 19}, {1, 2, 3, n - 2, 7, 11}, {0, 6, 9, n, 1, 1}};
    for (const auto& b : boxes) {
      const std::vector<hsize_t> start(b.begin(), b.begin() + 3), count(b.begin() + 3, b.end());
      const auto expected = testing::h5dread(f.vds, "/entry/data", DType::u16, start, count);
      std::vector<std::uint8_t> got(expected.size());
      reader.read_as(std::vector<std::size_t>(start.begin(), start.end()),
                     std::vector<std::size_t>(count.begin(), count.end()), DType::u16, got.data());
      EXPECT_EQ(0, std::memcmp(got.data(), expected.data(), got.size())) << "frame_per_file " << frame_per_file;
    }
    EXPECT_EQ(reader.stats().fallback_reads, 0u) << reader.describe();
    EXPECT_GE(reader.stats().chunks, 8u);
  }
}

TEST(ParallelReaderVirtual, MissingSourceIsAnErrorUnlessAllowed) {
  const VdsFiles f = make_vds("missing", false);
  std::filesystem::remove(f.sources[5]);
  try {
    ParallelReader reader(f.vds, "/entry/data");
    FAIL() << "a VDS with a missing source opened silently";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(std::filesystem::path(f.sources[5]).filename().string() + "' does not exist"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("--allow-missing"), std::string::npos) << e.what();
  }
  ReaderOptions options;
  options.allow_missing = true;
  ParallelReader reader(f.vds, "/entry/data", options);
  const auto got = reader.read<std::uint16_t>(std::vector<std::size_t>{0, 0, 0}, std::vector<std::size_t>{24, 13, 19});
  const auto expected = testing::h5dread(f.vds, "/entry/data", DType::u16, {0, 0, 0}, {24, 13, 19});
  EXPECT_EQ(0, std::memcmp(got.data(), expected.data(), expected.size()));  // HDF5 also reads fill values there
  EXPECT_EQ(got[15 * 13 * 19], 65535);                                      // frame 15 came from part 5
}

}  // namespace
}  // namespace xpulse::io
