// xpulse.NufftPlan, xpulse.nufft1, xpulse.nufft2: the non-uniform FFT (src/nufft/plan.h) on numpy arrays.
#include <complex>
#include <memory>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "core/error.h"
#include "nufft/plan.h"

namespace xpulse::python {
namespace {

std::vector<std::size_t> modes_of(const py::object& modes) {
  std::vector<std::size_t> out;
  if (py::isinstance<py::int_>(modes)) {
    const auto n = modes.cast<long long>();
    if (n < 0) throw InvalidArgument("NUFFT modes must be >= 1");
    out.push_back(static_cast<std::size_t>(n));
  } else {
    for (const py::handle h : modes) {
      const auto n = h.cast<long long>();
      if (n < 0) throw InvalidArgument("NUFFT modes must be >= 1");
      out.push_back(static_cast<std::size_t>(n));
    }
  }
  return out;
}

nufft::ModeOrder order_of(const std::string& order) {
  if (order == "centered") return nufft::ModeOrder::centered;
  if (order == "fft") return nufft::ModeOrder::fft;
  throw InvalidArgument(fmt::format("order '{}' is not known; use 'centered' or 'fft'", order));
}

class NufftPlan {
  // Calls f with the plan of the chosen precision (both branches must return the same type).
  template <class F>
  auto with_plan(F&& f) const {
    return single_ ? f(*single_plan_) : f(*double_plan_);
  }

 public:
  NufftPlan(int type, const py::object& modes, double eps, int sign, const py::object& threads,
            const std::string& dtype, const std::string& order)
      : modes_(modes_of(modes)), single_(dtype == "float32") {
    if (dtype != "float32" && dtype != "float64") {
      throw InvalidArgument(fmt::format("dtype '{}' is not supported; use 'float32' or 'float64'", dtype));
    }
    const nufft::PlanOptions options{sign, thread_count(threads), order_of(order)};
    if (single_) single_plan_ = std::make_unique<nufft::Plan<float>>(type, modes_, eps, options);
    else double_plan_ = std::make_unique<nufft::Plan<double>>(type, modes_, eps, options);
  }

  void set_points(const py::object& x, const py::object& y, const py::object& z) {
    with_plan([&](auto& plan) { set_points_typed(plan, x, y, z); });
  }

  py::array execute(const py::object& data) {
    return with_plan([&](auto& plan) { return execute_typed(plan, data); });
  }

  int type() const { return with_plan([](const auto& p) { return p.type(); }); }
  std::vector<std::size_t> modes() const { return modes_; }
  std::size_t points() const { return with_plan([](const auto& p) { return p.points(); }); }
  int kernel_width() const { return with_plan([](const auto& p) { return p.kernel_width(); }); }
  py::dict timings() const {
    const nufft::Timings t = with_plan([](const auto& p) { return p.timings(); });
    py::dict d;
    d["sort"] = t.sort, d["spread"] = t.spread, d["fft"] = t.fft, d["deconvolve"] = t.deconvolve;
    return d;
  }

 private:
  template <class T>
  void set_points_typed(nufft::Plan<T>& plan, const py::object& x, const py::object& y, const py::object& z) {
    const py::object given[3] = {x, y, z};
    const std::size_t dims = modes_.size();
    std::size_t n = 0;
    py::array_t<T> coords[3];
    for (std::size_t d = 0; d < 3; ++d) {
      if (d >= dims) {
        if (!given[d].is_none()) {
          throw InvalidArgument(fmt::format("{} is given for a {}D plan", "xyz"[d], dims));
        }
        continue;
      }
      if (given[d].is_none()) throw InvalidArgument(fmt::format("{} is missing for a {}D plan", "xyz"[d], dims));
      auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(given[d]);
      if (!a || a.ndim() != 1) throw InvalidArgument(fmt::format("{} must be a 1-D array of coordinates", "xyz"[d]));
      if (d == 0) n = static_cast<std::size_t>(a.size());
      if (static_cast<std::size_t>(a.size()) != n) {
        throw InvalidArgument(fmt::format("x has {} points but {} has {}", n, "xyz"[d], a.size()));
      }
      coords[d] = a;
    }
    const T* p[3] = {nullptr, nullptr, nullptr};
    for (std::size_t d = 0; d < dims; ++d) p[d] = coords[d].data();
    py::gil_scoped_release release;
    plan.set_points(n, p[0], p[1], p[2]);
  }

  template <class T>
  py::array execute_typed(nufft::Plan<T>& plan, const py::object& data) {
    using C = std::complex<T>;
    std::vector<py::ssize_t> shape(modes_.begin(), modes_.end());
    if (plan.type() == 1) {
      auto c = py::array_t<C, py::array::c_style | py::array::forcecast>::ensure(data);
      if (!c || c.ndim() != 1 || static_cast<std::size_t>(c.size()) != plan.points()) {
        throw InvalidArgument(fmt::format("c must be a 1-D array of the plan's {} points", plan.points()));
      }
      py::array_t<C, py::array::f_style> f(shape);
      {
        py::gil_scoped_release release;
        plan.execute(const_cast<C*>(c.data()), f.mutable_data());
      }
      return f;
    }
    auto f = py::array_t<C, py::array::f_style | py::array::forcecast>::ensure(data);
    if (!f || shape_of(f) != shape) {
      throw InvalidArgument(fmt::format("f must have the plan's mode shape ({})", fmt::join(modes_, ", ")));
    }
    py::array_t<C> c(static_cast<py::ssize_t>(plan.points()));
    {
      py::gil_scoped_release release;
      plan.execute(c.mutable_data(), const_cast<C*>(f.data()));
    }
    return c;
  }

  std::vector<std::size_t> modes_;
  bool single_;
  std::unique_ptr<nufft::Plan<float>> single_plan_;
  std::unique_ptr<nufft::Plan<double>> double_plan_;
};

}  // namespace

void bind_nufft(py::module_& m) {
  py::class_<NufftPlan>(m, "NufftPlan", R"(A non-uniform FFT plan (FINUFFT's shape): make, set_points, execute many times.

type 1 (points -> modes): f[k] = sum_j c[j] exp(sign i k.x_j)
type 2 (modes -> points): c[j] = sum_k f[k] exp(sign i k.x_j)

modes: N or (N1, N2[, N3]); k runs over -N/2 .. (N-1)/2 per dimension. Mode arrays have shape (N1, N2, N3)
(Fortran order): f[i1, i2, i3] is k = i - N//2 ('centered') or FFTW's order ('fft'). Points x, y, z are
radians in [-pi, pi) (accepted in [-3 pi, 3 pi)). eps: relative accuracy, [1e-15, 0.1] for float64 and
[1e-7, 0.1] for float32 (dtype). threads: None = all cores.)")
      .def(py::init<int, const py::object&, double, int, const py::object&, const std::string&, const std::string&>(),
           py::arg("type"), py::arg("modes"), py::arg("eps") = 1e-6, py::arg("sign") = 1,
           py::arg("threads") = py::none(), py::arg("dtype") = "float64", py::arg("order") = "centered")
      .def("set_points", &NufftPlan::set_points, py::arg("x"), py::arg("y") = py::none(), py::arg("z") = py::none(),
           "Sets the non-uniform points (radians, 1-D arrays of equal length); they are read only here.")
      .def("execute", &NufftPlan::execute, py::arg("data"),
           "Type 1: data = strengths c [points] -> modes f; type 2: data = modes f -> values c [points] (complex)")
      .def_property_readonly("type", &NufftPlan::type)
      .def_property_readonly("modes", &NufftPlan::modes)
      .def_property_readonly("points", &NufftPlan::points)
      .def_property_readonly("kernel_width", &NufftPlan::kernel_width, "ES kernel width, fine-grid cells")
      .def_property_readonly("timings", &NufftPlan::timings,
                             "Seconds of the last set_points (sort) and execute (spread, fft, deconvolve)");
}

}  // namespace xpulse::python
