// The compiled part of the `xpulse` Python package (xpulse._xpulse); the package re-exports it.
#include "bindings.h"

#include "core/error.h"
#include "xpulse/version.h"

namespace xpulse::python {

PYBIND11_MODULE(_xpulse, m) {
  m.doc() = "xpulse: fast analysis of XFEL and synchrotron imaging data (compiled core)";
  m.attr("__version__") = std::string(kVersion);
  // Library errors become the Python exceptions a user expects, with the CLI's messages.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const IoError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  bind_fit(m);
  bind_geometry(m);
  bind_simulate(m);
  bind_reduce(m);
  bind_correct(m);
  bind_read(m);
  bind_dispersion(m);
  bind_nufft(m);
  bind_spi(m);
  bind_ptycho(m);
  bind_sfx(m);
  bind_sfx_process(m);
  bind_sfx_merge(m);
}

}  // namespace xpulse::python
