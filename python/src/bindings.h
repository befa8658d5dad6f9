#pragma once
// The xpulse Python module: one binding file per domain, each with a bind_* function called from module.cpp,
// and the conversions they share.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "geometry/mat3.h"

namespace xpulse::python {

namespace py = pybind11;

void bind_fit(py::module_& m);
void bind_geometry(py::module_& m);
void bind_simulate(py::module_& m);
void bind_reduce(py::module_& m);
void bind_correct(py::module_& m);
void bind_read(py::module_& m);
void bind_dispersion(py::module_& m);
void bind_nufft(py::module_& m);
void bind_spi(py::module_& m);
void bind_ptycho(py::module_& m);
void bind_sfx(py::module_& m);
void bind_sfx_process(py::module_& m);
void bind_sfx_merge(py::module_& m);

// A numpy array that takes over a std::vector's memory (no copy), with the given shape.
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values, const std::vector<py::ssize_t>& shape) {
  auto* owner = new std::vector<T>(std::move(values));
  py::capsule free_when_done(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(shape, owner->data(), free_when_done);
}

// The shape of an array as a vector.
std::vector<py::ssize_t> shape_of(const py::array& a);

// `threads` as given (>= 1), or all cores the process may use for None. Throws InvalidArgument.
unsigned thread_count(const py::object& threads);

// A path given as str or os.PathLike (None: empty). Throws TypeError for anything else.
std::string path_string(const py::object& path);

// A numpy array (or nested sequence) of exactly `shape`, as C-contiguous float64; `what` names it in errors.
py::array_t<double, py::array::c_style> doubles(const py::object& values, const std::vector<py::ssize_t>& shape,
                                                const std::string& what);

// 3x3 matrices between numpy and geometry::Mat3.
geometry::Mat3 to_mat3(const py::object& matrix, const std::string& what);
py::array_t<double> from_mat3(const geometry::Mat3& m);

}  // namespace xpulse::python
