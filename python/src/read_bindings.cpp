// xpulse.read: a hyperslab of an HDF5 dataset through the parallel reader, as a numpy array.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bindings.h"
#include "core/error.h"
#include "io/parallel_reader.h"

namespace xpulse::python {
namespace {

constexpr const char* kReadDoc = R"(Read a dataset, or part of it, through xpulse's parallel reader.

Chunks are read and decompressed on `threads` threads (deflate, LZ4, Zstd, Blosc, bitshuffle), and virtual datasets
are followed to their source files, as every xpulse command reads its input.

Parameters
----------
path : str or os.PathLike
dataset : str
    e.g. "/entry_1/data_1/data".
selection : optional
    numpy basic indexing: an int, a slice (step 1), Ellipsis or a tuple of them, e.g. numpy.s_[10:20, :, 5].
    Integers drop their axis, as in numpy. Default: the whole dataset.
threads : int, optional
allow_missing : bool
    For a virtual dataset: read the frames of missing source files as the fill value instead of failing.

Returns
-------
numpy array of the dataset's stored dtype.)";

struct Box {
  std::vector<std::size_t> offset, count;
  std::vector<py::ssize_t> shape;  // of the result: count without the axes selected by an integer
};

Box parse_selection(const py::object& selection, const std::vector<std::size_t>& dims, const std::string& dataset) {
  py::tuple items;
  if (selection.is_none()) {
    items = py::tuple();
  } else if (py::isinstance<py::tuple>(selection)) {
    items = selection;
  } else {
    items = py::make_tuple(selection);
  }
  std::size_t explicit_axes = 0, ellipses = 0;
  for (const py::handle item : items) {
    if (item.is(py::ellipsis())) {
      ++ellipses;
    } else {
      ++explicit_axes;
    }
  }
  if (ellipses > 1) throw InvalidArgument("selection may contain at most one Ellipsis (...)");
  if (explicit_axes > dims.size()) {
    throw InvalidArgument(fmt::format("selection has {} indices but '{}' has {} dimensions", explicit_axes, dataset,
                                      dims.size()));
  }
  Box box;
  std::size_t axis = 0;
  auto whole = [&](std::size_t a) {
    box.offset.push_back(0);
    box.count.push_back(dims[a]);
    box.shape.push_back(static_cast<py::ssize_t>(dims[a]));
  };
  for (const py::handle item : items) {
    if (item.is(py::ellipsis())) {
      for (std::size_t k = 0; k < dims.size() - explicit_axes; ++k) whole(axis++);
      continue;
    }
    const auto n = static_cast<py::ssize_t>(dims[axis]);
    if (py::isinstance<py::slice>(item)) {
      py::ssize_t start = 0, stop = 0, step = 0, length = 0;
      if (!item.cast<py::slice>().compute(n, &start, &stop, &step, &length)) throw py::error_already_set();
      if (step != 1) {
        throw InvalidArgument(fmt::format("selection axis {}: only step 1 is supported (read the range, then slice "
                                          "the array)", axis));
      }
      box.offset.push_back(static_cast<std::size_t>(start));
      box.count.push_back(static_cast<std::size_t>(length));
      box.shape.push_back(length);
    } else if (py::isinstance<py::int_>(item) || py::hasattr(item, "__index__")) {
      py::ssize_t i = item.attr("__index__")().cast<py::ssize_t>();
      if (i < -n || i >= n) {
        throw InputError(fmt::format("index {} is out of range for axis {} of '{}' (size {})", i, axis, dataset, n));
      }
      if (i < 0) i += n;
      box.offset.push_back(static_cast<std::size_t>(i));
      box.count.push_back(1);
    } else {
      throw InvalidArgument(fmt::format("selection axis {}: expected an int, a slice or ..., got {}", axis,
                                        py::str(item.get_type()).cast<std::string>()));
    }
    ++axis;
  }
  while (axis < dims.size()) whole(axis++);
  return box;
}

py::array read(const py::object& path_in, const std::string& dataset, const py::object& selection,
               const py::object& threads, bool allow_missing) {
  const std::string path = path_string(path_in);
  io::ParallelReader reader(path, dataset, io::ReaderOptions{thread_count(threads), allow_missing});
  const Box box = parse_selection(selection, reader.dims(), dataset);
  py::array out(py::dtype(std::string(io::dtype_name(reader.dtype()))), box.shape);
  if (out.size() == 0) return out;
  py::gil_scoped_release release;
  reader.read_as(box.offset, box.count, reader.dtype(), out.mutable_data());
  return out;
}

}  // namespace

void bind_read(py::module_& m) {
  m.def("read", &read, kReadDoc, py::arg("path"), py::arg("dataset"), py::arg("selection") = py::none(),
        py::kw_only(), py::arg("threads") = py::none(), py::arg("allow_missing") = false);
}

}  // namespace xpulse::python
