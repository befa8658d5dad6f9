// Conversions shared by the binding files.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bindings.h"
#include "core/error.h"
#include "runtime/thread_pool.h"

namespace xpulse::python {

std::vector<py::ssize_t> shape_of(const py::array& a) { return {a.shape(), a.shape() + a.ndim()}; }

unsigned thread_count(const py::object& threads) {
  if (threads.is_none()) return runtime::default_thread_count();
  const long t = threads.cast<long>();
  if (t < 1) throw InvalidArgument(fmt::format("threads must be >= 1, got {}", t));
  return static_cast<unsigned>(t);
}

std::string path_string(const py::object& path) {
  if (path.is_none()) return "";
  return py::str(py::module_::import("os").attr("fspath")(path));
}

py::array_t<double, py::array::c_style> doubles(const py::object& values, const std::vector<py::ssize_t>& shape,
                                                const std::string& what) {
  const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(values);
  if (!a) throw InputError(fmt::format("{} must be an array of numbers", what));
  if (shape_of(a) != shape) {
    throw InputError(fmt::format("{} has shape ({}); expected ({})", what, fmt::join(shape_of(a), ", "),
                                 fmt::join(shape, ", ")));
  }
  return a;
}

geometry::Mat3 to_mat3(const py::object& matrix, const std::string& what) {
  const auto a = doubles(matrix, {3, 3}, what);
  geometry::Mat3 m{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) m[i][j] = a.at(i, j);
  return m;
}

py::array_t<double> from_mat3(const geometry::Mat3& m) {
  py::array_t<double> a({3, 3});
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) a.mutable_at(i, j) = m[i][j];
  return a;
}

}  // namespace xpulse::python
