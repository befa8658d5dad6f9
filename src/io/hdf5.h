#pragma once
// Thin RAII layer over the HDF5 C API: open/create files, read datasets with type conversion and hyperslabs,
// write datasets with units, attributes. Every failure throws IoError/InputError naming file and dataset.
#include <hdf5.h>

#include <complex>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/dtype.h"

namespace xpulse::io {

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      close_ = o.close_;
      o.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset() {
    if (id_ >= 0 && close_ != nullptr) close_(id_);
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

enum class ElementClass { integer, floating, other };

struct DatasetInfo {
  std::vector<std::size_t> dims;
  ElementClass element_class = ElementClass::other;
  std::size_t element_size = 0;  // bytes
  bool is_signed = false;
  std::string type_name() const;  // "float32", "uint16", ...
};

// How a file is opened for reading. `swmr` reads a file another process is writing in SWMR mode; `unlocked`
// skips HDF5's file lock so a file a non-SWMR writer keeps open (and flushes) can be re-opened and polled.
enum class OpenMode { normal, swmr, unlocked };

// An HDF5 file opened for reading.
class Reader {
 public:
  // Throws IoError: missing, unreadable, not HDF5, truncated.
  explicit Reader(const std::string& path, OpenMode mode = OpenMode::normal);
  const std::string& path() const { return path_; }
  hid_t id() const { return file_.id(); }

  bool exists(const std::string& dataset) const;
  DatasetInfo info(const std::string& dataset) const;  // throws InputError if missing or not a dataset

  // Reads a hyperslab [offset, offset + count) of a numeric dataset converted to T (float, double, uint8,
  // uint32). An empty offset/count reads everything.
  template <class T>
  std::vector<T> read(const std::string& dataset, std::span<const std::size_t> offset = {},
                      std::span<const std::size_t> count = {}) const;
  // Same, into caller memory of product(count) elements.
  template <class T>
  void read_into(const std::string& dataset, std::span<const std::size_t> offset,
                 std::span<const std::size_t> count, T* out) const;

  double read_scalar(const std::string& dataset) const;
  // A complex dataset as h5py and NumPy store it (a compound of two floating-point members, real then
  // imaginary), converted to complex<float>; InputError when the dataset is not of that kind.
  std::vector<std::complex<float>> read_complex(const std::string& dataset) const;
  // Opens a dataset; throws InputError naming it when it is missing or not a dataset.
  Handle open_dataset(const std::string& dataset) const;
  // A string attribute of a group or dataset, or "" when absent.
  std::string string_attribute(const std::string& object, const std::string& name) const;
  // A numeric scalar attribute, or nullopt when absent or not a single number.
  std::optional<double> numeric_attribute(const std::string& object, const std::string& name) const;

 private:
  std::string path_;
  Handle file_;
};

// One mapping of a virtual dataset: count elements from source_offset in file:dataset to target_offset.
struct VirtualSource {
  std::string file;
  std::string dataset;
  std::vector<std::size_t> source_offset;
  std::vector<std::size_t> target_offset;
  std::vector<std::size_t> count;
  // The source box's extent when its rank differs from the target's (the same elements, dimensions of extent 1
  // added or dropped: a plane of a [frames, 2, y, x] source into a [frames, y, x] target); empty: count.
  std::vector<std::size_t> source_count;
};

// Writes a new HDF5 file (truncating any file at `path`).
class Writer {
 public:
  explicit Writer(const std::string& path);
  void close();  // flushes and closes; further calls are errors

  // Creates intermediate groups as needed. chunks empty = contiguous.
  template <class T>
  void write(const std::string& dataset, std::span<const T> data, std::span<const std::size_t> dims,
             const std::string& units = "", std::span<const std::size_t> chunks = {});
  // Rows [first, first + n) along the first dimension of a dataset made by write() (empty data makes one without
  // writing it), data holding n whole rows: frames written as they are produced. IoError for rows outside it.
  template <class T>
  void write_rows(const std::string& dataset, std::size_t first, std::span<const T> data);
  void write_scalar(const std::string& dataset, double value, const std::string& units = "");
  // complex64 as h5py writes it: a compound {r, i} of float32.
  void write_complex(const std::string& dataset, std::span<const std::complex<float>> data,
                     std::span<const std::size_t> dims, const std::string& units = "");
  // A virtual dataset of element type T and shape dims, assembled from hyperslabs of datasets in other files
  // (source file names relative to this file's directory resolve there when read).
  template <class T>
  void write_virtual(const std::string& dataset, std::span<const std::size_t> dims,
                     std::span<const VirtualSource> sources, const std::string& units = "");

  // Attributes on a group or dataset ("/" for the root).
  void attribute(const std::string& object, const std::string& name, const std::string& value);
  void attribute(const std::string& object, const std::string& name, double value);

 private:
  hid_t create_parents(const std::string& dataset);
  std::string path_;
  Handle file_;
};

// The native HDF5 memory type of an element type (H5T_NATIVE_UINT16, ...).
hid_t native_type(DType type);

// The innermost description on this thread's HDF5 error stack (then clears it), e.g. "truncated file: ...".
std::string hdf5_error_reason();

// Switches off HDF5's automatic error printing in the calling thread (errors become exceptions instead).
void silence_hdf5_errors();

}  // namespace xpulse::io
