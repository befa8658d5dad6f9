#pragma once
// The xpulse Python module: one binding file per domain, each with a bind_* function called from module.cpp.
#include <cstddef>
#include <utility>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace xpulse::python {

namespace py = pybind11;

void bind_fit(py::module_& m);

// A numpy array that takes over a std::vector's memory (no copy), with the given shape.
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values, const std::vector<py::ssize_t>& shape) {
  auto* owner = new std::vector<T>(std::move(values));
  py::capsule free_when_done(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(shape, owner->data(), free_when_done);
}

}  // namespace xpulse::python
