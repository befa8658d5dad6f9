#include "io/hdf5.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <thread>
#include <type_traits>

#include <fmt/format.h>

#include "core/error.h"
#include "io/declared_size.h"
#include "io/isolated_call.h"

namespace xpulse::io {

hid_t native_type(DType t) {
  switch (t) {
    case DType::u8: return H5T_NATIVE_UINT8;
    case DType::i8: return H5T_NATIVE_INT8;
    case DType::u16: return H5T_NATIVE_UINT16;
    case DType::i16: return H5T_NATIVE_INT16;
    case DType::u32: return H5T_NATIVE_UINT32;
    case DType::i32: return H5T_NATIVE_INT32;
    case DType::u64: return H5T_NATIVE_UINT64;
    case DType::i64: return H5T_NATIVE_INT64;
    case DType::f32: return H5T_NATIVE_FLOAT;
    case DType::f64: break;
  }
  return H5T_NATIVE_DOUBLE;
}

std::string hdf5_error_reason() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        if (e->desc != nullptr && e->desc[0] != '\0') *static_cast<std::string*>(data) = e->desc;
        return 0;
      },
      &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason;
}

namespace {

template <class T>
hid_t memory_type() {
  return native_type(dtype_of<T>());
}

template <class T>
hid_t file_type() {
  if constexpr (std::is_same_v<T, float>) return H5T_IEEE_F32LE;
  if constexpr (std::is_same_v<T, double>) return H5T_IEEE_F64LE;
  if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_STD_U8LE;
  if constexpr (std::is_same_v<T, std::uint16_t>) return H5T_STD_U16LE;
  if constexpr (std::is_same_v<T, std::uint32_t>) return H5T_STD_U32LE;
  if constexpr (std::is_same_v<T, std::int32_t>) return H5T_STD_I32LE;
  if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_STD_U64LE;
}

std::vector<hsize_t> to_hsize(std::span<const std::size_t> v) { return {v.begin(), v.end()}; }

std::string shape_string(const std::vector<std::size_t>& dims) {
  return dims.empty() ? "scalar" : fmt::format("[{}]", fmt::join(dims, ", "));
}

}  // namespace

void silence_hdf5_errors() {
  thread_local bool silenced = false;
  if (!silenced) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
  }
}

std::string DatasetInfo::type_name() const {
  switch (element_class) {
    case ElementClass::floating: return fmt::format("float{}", 8 * element_size);
    case ElementClass::integer: return fmt::format("{}int{}", is_signed ? "" : "u", 8 * element_size);
    case ElementClass::other: return "non-numeric";
  }
  return "unknown";
}

Reader::Reader(const std::string& path, OpenMode mode) : path_(path) {
  silence_hdf5_errors();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw IoError(fmt::format("input file '{}' does not exist", path));
  if (std::filesystem::is_directory(path, ec)) throw IoError(fmt::format("input '{}' is a directory", path));
  if (std::filesystem::file_size(path, ec) == 0) throw IoError(fmt::format("input file '{}' is empty", path));
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  unsigned flags = H5F_ACC_RDONLY;
  if (mode == OpenMode::swmr) flags |= H5F_ACC_SWMR_READ;
  if (mode == OpenMode::unlocked) H5Pset_file_locking(fapl.id(), false, true);
  hid_t id = H5Fopen(path.c_str(), flags, fapl.id());
  // A file that a non-SWMR writer keeps open and flushes can be caught mid-flush (its superblock's end of file
  // ahead of the bytes on disk): opened again for up to about 2 s, as the parallel reader retries its reads.
  for (int attempt = 0; id < 0 && mode == OpenMode::unlocked && attempt < 40; ++attempt) {
    H5Eclear2(H5E_DEFAULT);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    id = H5Fopen(path.c_str(), flags, fapl.id());
  }
  if (id < 0) {
    const std::string reason = hdf5_error_reason();
    if (H5Fis_hdf5(path.c_str()) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      throw IoError(fmt::format("input file '{}' is not an HDF5 file", path));
    }
    throw IoError(fmt::format("cannot open HDF5 file '{}' (truncated or damaged?): {}", path, reason));
  }
  file_ = Handle(id, H5Fclose);
}

namespace {

enum class Lookup { dataset, missing, not_a_dataset, damaged };

// Finds `name` link by link (H5Lexists fails on a missing intermediate group); an object whose link exists but
// that libhdf5 cannot open is damaged, and `reason` gets libhdf5's words for it.
Lookup look_up(hid_t file, const std::string& name, std::string& reason) {
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = name.find('/', pos + 1);
    const std::string prefix = name.substr(0, pos);
    if (prefix.empty() || prefix == "/") continue;
    const htri_t link = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
    if (link == 0) return Lookup::missing;
    if (link < 0) {
      reason = hdf5_error_reason();
      return Lookup::damaged;
    }
  }
  const hid_t object = H5Oopen(file, name.c_str(), H5P_DEFAULT);
  if (object < 0) {
    reason = hdf5_error_reason();
    // A soft or external link to nothing is a missing object, not a damaged one.
    H5L_info_t info{};
    if (H5Lget_info(file, name.c_str(), &info, H5P_DEFAULT) >= 0 && info.type != H5L_TYPE_HARD) {
      H5Eclear2(H5E_DEFAULT);
      return Lookup::missing;
    }
    H5Eclear2(H5E_DEFAULT);
    return Lookup::damaged;
  }
  const bool is_dataset = H5Iget_type(object) == H5I_DATASET;
  H5Oclose(object);
  return is_dataset ? Lookup::dataset : Lookup::not_a_dataset;
}

}  // namespace

bool Reader::exists(const std::string& dataset) const {
  std::string reason;
  return look_up(file_.id(), dataset, reason) == Lookup::dataset;
}

Handle Reader::open_dataset(const std::string& dataset) const {
  std::string reason;
  switch (look_up(file_.id(), dataset, reason)) {
    case Lookup::missing: throw InputError(fmt::format("dataset '{}' not found in '{}'", dataset, path_));
    case Lookup::not_a_dataset: throw InputError(fmt::format("'{}' in '{}' is not a dataset", dataset, path_));
    case Lookup::damaged:
      throw IoError(fmt::format("cannot open '{}' in '{}' (damaged file?): {}", dataset, path_, reason));
    case Lookup::dataset: break;
  }
  const hid_t id = H5Dopen2(file_.id(), dataset.c_str(), H5P_DEFAULT);
  if (id < 0) {
    throw IoError(fmt::format("cannot open dataset '{}' in '{}': {}", dataset, path_, hdf5_error_reason()));
  }
  return Handle(id, H5Dclose);
}

DatasetInfo Reader::info(const std::string& dataset) const {
  Handle d = open_dataset(dataset);
  Handle space(H5Dget_space(d.id()), H5Sclose);
  Handle type(H5Dget_type(d.id()), H5Tclose);
  DatasetInfo info;
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) throw IoError(fmt::format("cannot read the shape of '{}' in '{}'", dataset, path_));
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  info.dims.assign(dims.begin(), dims.end());
  const H5T_class_t cls = H5Tget_class(type.id());
  info.element_class = cls == H5T_INTEGER ? ElementClass::integer
                       : cls == H5T_FLOAT ? ElementClass::floating
                                          : ElementClass::other;
  info.element_size = H5Tget_size(type.id());
  info.is_signed = cls == H5T_INTEGER && H5Tget_sign(type.id()) == H5T_SGN_2;
  return info;
}

template <class T>
void Reader::read_into(const std::string& dataset, std::span<const std::size_t> offset,
                       std::span<const std::size_t> count, T* out) const {
  silence_hdf5_errors();  // may run on a prefetch thread
  Handle d = open_dataset(dataset);
  Handle file_space(H5Dget_space(d.id()), H5Sclose);
  Handle mem_space;
  if (!count.empty()) {
    const auto start = to_hsize(offset);
    const auto n = to_hsize(count);
    if (H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start.data(), nullptr, n.data(), nullptr) < 0) {
      throw IoError(fmt::format("bad selection of '{}' in '{}': {}", dataset, path_, hdf5_error_reason()));
    }
    mem_space = Handle(H5Screate_simple(static_cast<int>(n.size()), n.data(), nullptr), H5Sclose);
  } else {
    mem_space = Handle(H5Scopy(file_space.id()), H5Sclose);
  }
  if (H5Dread(d.id(), memory_type<T>(), mem_space.id(), file_space.id(), H5P_DEFAULT, out) < 0) {
    throw IoError(fmt::format("cannot read dataset '{}' from '{}' (truncated or damaged file?): {}", dataset,
                              path_, hdf5_error_reason()));
  }
}

template <class T>
std::vector<T> Reader::read(const std::string& dataset, std::span<const std::size_t> offset,
                            std::span<const std::size_t> count) const {
  const DatasetInfo i = info(dataset);
  if (i.element_class == ElementClass::other) {
    throw InputError(fmt::format("dataset '{}' in '{}' is not numeric", dataset, path_));
  }
  const auto& dims = count.empty() ? i.dims : std::vector<std::size_t>(count.begin(), count.end());
  std::error_code ec;
  check_declared_size(dims, sizeof(T), static_cast<std::size_t>(std::filesystem::file_size(path_, ec)), dataset,
                      path_);
  std::vector<T> out = buffer_for<T>(std::accumulate(dims.begin(), dims.end(), std::size_t{1}, std::multiplies<>()),
                                     dataset, path_);
  if (!out.empty()) read_into<T>(dataset, offset, count, out.data());
  return out;
}

double Reader::read_scalar(const std::string& dataset) const {
  const DatasetInfo i = info(dataset);
  const std::size_t n = std::accumulate(i.dims.begin(), i.dims.end(), std::size_t{1}, std::multiplies<>());
  if (n != 1 || i.element_class == ElementClass::other) {
    throw InputError(fmt::format("dataset '{}' in '{}' must be a single number, found {} {}", dataset, path_,
                                 i.type_name(), shape_string(i.dims)));
  }
  return read<double>(dataset)[0];
}

#define XPULSE_READ(T)                                                                                   \
  template std::vector<T> Reader::read<T>(const std::string&, std::span<const std::size_t>,              \
                                          std::span<const std::size_t>) const;                           \
  template void Reader::read_into<T>(const std::string&, std::span<const std::size_t>,                   \
                                     std::span<const std::size_t>, T*) const;
XPULSE_READ(float)
XPULSE_READ(double)
XPULSE_READ(std::uint8_t)
XPULSE_READ(std::uint32_t)
XPULSE_READ(std::int32_t)
XPULSE_READ(std::uint16_t)
XPULSE_READ(std::uint64_t)
#undef XPULSE_READ

std::string Reader::string_attribute(const std::string& object, const std::string& name) const {
  if (H5Aexists_by_name(file_.id(), object.c_str(), name.c_str(), H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return "";
  }
  Handle a(H5Aopen_by_name(file_.id(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(a.id()), H5Tclose);
  if (!a.valid() || H5Tget_class(type.id()) != H5T_STRING) return "";
  std::string value;
  if (H5Tis_variable_str(type.id()) > 0) {
    // The text lives in the file's global heap, which libhdf5 1.10 follows without bounds checks: a damaged
    // heap crashes it or makes it spin. So the read runs in a child process with a deadline.
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.id(), H5T_VARIABLE);
    H5Tset_cset(mem.id(), H5Tget_cset(type.id()));  // HDF5 does not convert between character sets
    const IsolatedResult r = run_isolated(
        [&]() -> std::string {
          // First byte: V for the value, E for libhdf5's reason why it could not read it.
          char* text = nullptr;
          std::string answer(1, 'V');
          if (H5Aread(a.id(), mem.id(), &text) < 0) {
            answer[0] = 'E';
            answer.append(hdf5_error_reason());
            return answer;
          }
          if (text != nullptr) answer.append(text);
          H5free_memory(text);
          return answer;
        },
        isolated_read_deadline());
    if (!r.bytes || r.bytes->empty() || r.bytes->front() != 'V') {
      const std::string why = !r.bytes || r.bytes->empty() ? "libhdf5 " + r.failure + " reading it"
                                                           : printable(r.bytes->substr(1));
      throw IoError(fmt::format("cannot read attribute '{}' of '{}' in '{}' (damaged file?): {}", name, object,
                                path_, why));
    }
    value = r.bytes->substr(1);
  } else {
    std::string buffer(H5Tget_size(type.id()), '\0');
    if (H5Aread(a.id(), type.id(), buffer.data()) >= 0) value = buffer.c_str();
  }
  return printable(value);
}

std::optional<double> Reader::numeric_attribute(const std::string& object, const std::string& name) const {
  if (H5Aexists_by_name(file_.id(), object.c_str(), name.c_str(), H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  Handle a(H5Aopen_by_name(file_.id(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(a.id()), H5Tclose);
  Handle space(H5Aget_space(a.id()), H5Sclose);
  if (!a.valid()) return std::nullopt;
  const H5T_class_t c = H5Tget_class(type.id());
  if ((c != H5T_INTEGER && c != H5T_FLOAT) || H5Sget_simple_extent_npoints(space.id()) != 1) return std::nullopt;
  double value = 0.0;
  if (H5Aread(a.id(), H5T_NATIVE_DOUBLE, &value) < 0) return std::nullopt;
  return value;
}

Writer::Writer(const std::string& path) : path_(path) {
  silence_hdf5_errors();
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) throw IoError(fmt::format("cannot create HDF5 file '{}': {}", path, hdf5_error_reason()));
  file_ = Handle(id, H5Fclose);
}

void Writer::close() {
  if (file_.valid() && H5Fflush(file_.id(), H5F_SCOPE_GLOBAL) < 0) {
    throw IoError(fmt::format("cannot flush '{}': {}", path_, hdf5_error_reason()));
  }
  file_.reset();
}

hid_t Writer::create_parents(const std::string& dataset) {
  for (std::size_t pos = dataset.find('/', 1); pos != std::string::npos; pos = dataset.find('/', pos + 1)) {
    const std::string group = dataset.substr(0, pos);
    if (H5Lexists(file_.id(), group.c_str(), H5P_DEFAULT) > 0) continue;
    const hid_t g = H5Gcreate2(file_.id(), group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) throw IoError(fmt::format("cannot create group '{}' in '{}': {}", group, path_, hdf5_error_reason()));
    H5Gclose(g);
  }
  return file_.id();
}

template <class T>
void Writer::write(const std::string& dataset, std::span<const T> data, std::span<const std::size_t> dims,
                   const std::string& units, std::span<const std::size_t> chunks) {
  create_parents(dataset);
  const auto hdims = to_hsize(dims);
  Handle space(H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!chunks.empty()) {
    const auto hchunks = to_hsize(chunks);
    H5Pset_chunk(dcpl.id(), static_cast<int>(hchunks.size()), hchunks.data());
  }
  Handle d(H5Dcreate2(file_.id(), dataset.c_str(), file_type<T>(), space.id(), H5P_DEFAULT, dcpl.id(),
                      H5P_DEFAULT),
           H5Dclose);
  if (!d.valid()) throw IoError(fmt::format("cannot create '{}' in '{}': {}", dataset, path_, hdf5_error_reason()));
  if (!data.empty() &&
      H5Dwrite(d.id(), memory_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
    throw IoError(fmt::format("cannot write '{}' to '{}': {}", dataset, path_, hdf5_error_reason()));
  }
  if (!units.empty()) attribute(dataset, "units", units);
}

template <class T>
void Writer::write_rows(const std::string& dataset, std::size_t first, std::span<const T> data) {
  Handle d(H5Dopen2(file_.id(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) throw IoError(fmt::format("cannot open '{}' in '{}': {}", dataset, path_, hdf5_error_reason()));
  Handle space(H5Dget_space(d.id()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.id());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank < 1 || H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr) < 0) {
    throw IoError(fmt::format("'{}' in '{}' has no rows to write", dataset, path_));
  }
  std::size_t row = 1;
  for (std::size_t k = 1; k < dims.size(); ++k) row *= static_cast<std::size_t>(dims[k]);
  const std::size_t rows = row == 0 ? 0 : data.size() / row;
  if (row == 0 || data.size() % row != 0 || first + rows > dims[0]) {
    throw IoError(fmt::format("cannot write {} values as rows from {} of '{}' ({} rows of {} values)", data.size(),
                              first, dataset, dims[0], row));
  }
  if (rows == 0) return;
  std::vector<hsize_t> start(dims.size(), 0), count(dims);
  start[0] = first, count[0] = rows;
  Handle memory(H5Screate_simple(rank, count.data(), nullptr), H5Sclose);
  if (H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) < 0 ||
      H5Dwrite(d.id(), memory_type<T>(), memory.id(), space.id(), H5P_DEFAULT, data.data()) < 0) {
    throw IoError(fmt::format("cannot write rows {} to {} of '{}' to '{}': {}", first, first + rows - 1, dataset,
                              path_, hdf5_error_reason()));
  }
}

template <class T>
void Writer::write_virtual(const std::string& dataset, std::span<const std::size_t> dims,
                           std::span<const VirtualSource> sources, const std::string& units) {
  create_parents(dataset);
  const auto hdims = to_hsize(dims);
  Handle space(H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  for (const VirtualSource& s : sources) {
    const auto count = to_hsize(s.count);
    const auto source_count = s.source_count.empty() ? count : to_hsize(s.source_count);
    const auto target = to_hsize(s.target_offset);
    const auto origin = to_hsize(s.source_offset);
    // The source's own extent is only needed to describe the selection: the count from the offset suffices.
    std::vector<hsize_t> source_dims(origin.size());
    for (std::size_t d = 0; d < origin.size(); ++d) source_dims[d] = origin[d] + source_count[d];
    Handle source_space(H5Screate_simple(static_cast<int>(source_dims.size()), source_dims.data(), nullptr),
                        H5Sclose);
    if (H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, target.data(), nullptr, count.data(), nullptr) < 0 ||
        H5Sselect_hyperslab(source_space.id(), H5S_SELECT_SET, origin.data(), nullptr, source_count.data(), nullptr) < 0 ||
        H5Pset_virtual(dcpl.id(), space.id(), s.file.c_str(), s.dataset.c_str(), source_space.id()) < 0) {
      throw IoError(fmt::format("cannot map '{}' of '{}' into '{}' in '{}': {}", s.dataset, s.file, dataset, path_,
                                hdf5_error_reason()));
    }
  }
  H5Sselect_all(space.id());
  Handle d(H5Dcreate2(file_.id(), dataset.c_str(), file_type<T>(), space.id(), H5P_DEFAULT, dcpl.id(),
                      H5P_DEFAULT),
           H5Dclose);
  if (!d.valid()) throw IoError(fmt::format("cannot create '{}' in '{}': {}", dataset, path_, hdf5_error_reason()));
  if (!units.empty()) attribute(dataset, "units", units);
}

namespace {
// complex<float> in memory: {r, i} float32, the layout of h5py's complex64.
Handle complex64_type() {
  Handle t(H5Tcreate(H5T_COMPOUND, sizeof(std::complex<float>)), H5Tclose);
  H5Tinsert(t.id(), "r", 0, H5T_NATIVE_FLOAT);
  H5Tinsert(t.id(), "i", sizeof(float), H5T_NATIVE_FLOAT);
  return t;
}
}  // namespace

std::vector<std::complex<float>> Reader::read_complex(const std::string& dataset) const {
  Handle d = open_dataset(dataset);
  Handle type(H5Dget_type(d.id()), H5Tclose);
  const bool complex = H5Tget_class(type.id()) == H5T_COMPOUND && H5Tget_nmembers(type.id()) == 2 &&
                       H5Tget_member_class(type.id(), 0) == H5T_FLOAT && H5Tget_member_class(type.id(), 1) == H5T_FLOAT;
  if (!complex) {
    throw InputError(fmt::format("dataset '{}' in '{}' is not complex (a compound of two floats, as h5py writes)",
                                 dataset, path_));
  }
  // Members are matched by name: h5py uses r and i.
  char* first = H5Tget_member_name(type.id(), 0);
  char* second = H5Tget_member_name(type.id(), 1);
  const bool named = std::string(first) == "r" && std::string(second) == "i";
  H5free_memory(first);
  H5free_memory(second);
  if (!named) {
    throw InputError(fmt::format("dataset '{}' in '{}' is a compound whose members are not named r and i", dataset,
                                 path_));
  }
  const DatasetInfo i = info(dataset);
  std::error_code ec;
  check_declared_size(i.dims, sizeof(std::complex<float>),
                      static_cast<std::size_t>(std::filesystem::file_size(path_, ec)), dataset, path_);
  std::vector<std::complex<float>> out = buffer_for<std::complex<float>>(
      std::accumulate(i.dims.begin(), i.dims.end(), std::size_t{1}, std::multiplies<>()), dataset, path_);
  const Handle memory = complex64_type();
  if (!out.empty() && H5Dread(d.id(), memory.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
    throw IoError(fmt::format("cannot read dataset '{}' from '{}' (truncated or damaged file?): {}", dataset, path_,
                              hdf5_error_reason()));
  }
  return out;
}

void Writer::write_complex(const std::string& dataset, std::span<const std::complex<float>> data,
                           std::span<const std::size_t> dims, const std::string& units) {
  create_parents(dataset);
  const auto hdims = to_hsize(dims);
  Handle space(H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr), H5Sclose);
  const Handle type = complex64_type();
  Handle d(H5Dcreate2(file_.id(), dataset.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           H5Dclose);
  if (!d.valid()) throw IoError(fmt::format("cannot create '{}' in '{}': {}", dataset, path_, hdf5_error_reason()));
  if (!data.empty() && H5Dwrite(d.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
    throw IoError(fmt::format("cannot write '{}' to '{}': {}", dataset, path_, hdf5_error_reason()));
  }
  if (!units.empty()) attribute(dataset, "units", units);
}

void Writer::write_scalar(const std::string& dataset, double value, const std::string& units) {
  create_parents(dataset);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle d(H5Dcreate2(file_.id(), dataset.c_str(), H5T_IEEE_F64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT,
                      H5P_DEFAULT),
           H5Dclose);
  if (!d.valid() || H5Dwrite(d.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0) {
    throw IoError(fmt::format("cannot write '{}' to '{}': {}", dataset, path_, hdf5_error_reason()));
  }
  if (!units.empty()) attribute(dataset, "units", units);
}

void Writer::attribute(const std::string& object, const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.id(), H5T_VARIABLE);
  H5Tset_cset(type.id(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate_by_name(file_.id(), object.c_str(), name.c_str(), type.id(), space.id(), H5P_DEFAULT,
                             H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  const char* text = value.c_str();
  if (!a.valid() || H5Awrite(a.id(), type.id(), &text) < 0) {
    throw IoError(fmt::format("cannot write attribute '{}' of '{}' in '{}': {}", name, object, path_,
                              hdf5_error_reason()));
  }
}

void Writer::attribute(const std::string& object, const std::string& name, double value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate_by_name(file_.id(), object.c_str(), name.c_str(), H5T_IEEE_F64LE, space.id(), H5P_DEFAULT,
                             H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  if (!a.valid() || H5Awrite(a.id(), H5T_NATIVE_DOUBLE, &value) < 0) {
    throw IoError(fmt::format("cannot write attribute '{}' of '{}' in '{}': {}", name, object, path_,
                              hdf5_error_reason()));
  }
}

#define XPULSE_WRITE(T)                                                                                  \
  template void Writer::write<T>(const std::string&, std::span<const T>, std::span<const std::size_t>,  \
                                 const std::string&, std::span<const std::size_t>);          \
  template void Writer::write_rows<T>(const std::string&, std::size_t, std::span<const T>);       \
  template void Writer::write_virtual<T>(const std::string&, std::span<const std::size_t>,         \
                                         std::span<const VirtualSource>, const std::string&);
XPULSE_WRITE(float)
XPULSE_WRITE(double)
XPULSE_WRITE(std::uint8_t)
XPULSE_WRITE(std::uint16_t)
XPULSE_WRITE(std::uint32_t)
XPULSE_WRITE(std::int32_t)
XPULSE_WRITE(std::uint64_t)
#undef XPULSE_WRITE

}  // namespace xpulse::io
