// xpulse.reduce: per-pixel sum, mean, max, min and std over frames, of a numpy array or streamed from a file.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "core/error.h"
#include "io/parallel_reader.h"
#include "pipelines/reduce.h"
#include "reduce/frame_reduction.h"
#include "runtime/thread_pool.h"

namespace xpulse::python {
namespace {

constexpr const char* kReduceDoc = R"(Per-pixel reductions over frames, as `xpulse reduce` (bit-identical).

Parameters
----------
data : numpy array [frame, ...] (any numeric dtype, any layout), or a file path (str or os.PathLike)
    A file is streamed through the parallel reader in blocks of about 64 MiB, so a stack of any size fits.
ops : str, optional
    Any of "sum,mean,max,min,std" (default: all). std is the population standard deviation (ddof = 0).
dataset : str
    With a file: the dataset [frame, ...] to reduce.
frames : (first, end), optional
    With a file: reduce frames [first, end) only.
threads : int, optional

Sums and means accumulate in float64 (Welford for the variance); NaN propagates as in numpy.

Returns
-------
dict: the requested maps (float64, the frame shape, data units), frame_sum [frames] (each frame's total),
frames (number reduced).)";

constexpr std::size_t kBlockBytes = 64u << 20;  // float64 values converted at a time from a non-float64 array

reduce::ReduceOps ops_from(const py::object& ops) {
  if (ops.is_none()) return reduce::ReduceOps{true, true, true, true, true};
  return reduce::parse_ops(ops.cast<std::string>());
}

py::dict results(const reduce::FrameReduction& acc, const reduce::ReduceOps& ops,
                 const std::vector<py::ssize_t>& frame_shape) {
  py::dict out;
  auto put = [&](const char* name, std::vector<double> values) { out[name] = to_numpy(std::move(values), frame_shape); };
  if (ops.sum) put("sum", acc.sum());
  if (ops.mean) put("mean", acc.mean());
  if (ops.max) put("max", acc.max());
  if (ops.min) put("min", acc.min());
  if (ops.stdev) put("std", acc.stdev());
  std::vector<double> totals = acc.frame_totals();
  const auto n = static_cast<py::ssize_t>(totals.size());
  out["frame_sum"] = to_numpy(std::move(totals), {n});
  out["frames"] = acc.frames();
  return out;
}

py::dict reduce_array(const py::array& data, const reduce::ReduceOps& ops, unsigned threads) {
  if (data.ndim() < 1) throw InputError("data must have at least one dimension [frame, ...]");
  const char kind = data.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b') {
    throw InputError("data must be numeric (float or integer dtype)");
  }
  const std::vector<py::ssize_t> shape = shape_of(data);
  const std::vector<py::ssize_t> frame_shape(shape.begin() + 1, shape.end());
  std::size_t pixels = 1;
  for (auto d : frame_shape) pixels *= static_cast<std::size_t>(d);
  const auto frames = static_cast<std::size_t>(shape[0]);
  if (frames == 0 || pixels == 0) throw InputError("data is empty");
  std::size_t row_pixels = 1;  // the same blocks as `xpulse reduce`, so the results are the same bits
  for (std::size_t i = 1; i < frame_shape.size(); ++i) row_pixels *= static_cast<std::size_t>(frame_shape[i]);
  reduce::FrameReduction acc(pixels, row_pixels);
  runtime::ThreadPool pool(threads);
  // float64 C-contiguous data is used in place; anything else is converted a block of frames at a time.
  const std::size_t block = std::max<std::size_t>(1, kBlockBytes / (pixels * sizeof(double)));
  for (std::size_t first = 0; first < frames; first += block) {
    const std::size_t end = std::min(frames, first + block);
    const py::object slice = data[py::slice(static_cast<py::ssize_t>(first), static_cast<py::ssize_t>(end), 1)];
    const auto values = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(slice);
    if (!values) throw InputError("data cannot be converted to float64");
    py::gil_scoped_release release;
    acc.add(values.data(), end - first, pool);
  }
  return results(acc, ops, frame_shape);
}

py::dict reduce_file(const std::string& path, const std::string& dataset, const std::optional<std::pair<std::size_t, std::size_t>>& frames,
                     const reduce::ReduceOps& ops, unsigned threads) {
  io::ParallelReader reader(path, dataset, io::ReaderOptions{threads});
  const std::vector<std::size_t> dims = reader.dims();
  if (dims.size() < 2) {
    throw InputError(fmt::format("dataset '{}' has rank {}; expected [frame, ...] with at least 2 dimensions",
                                 dataset, dims.size()));
  }
  std::size_t pixels = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) pixels *= dims[i];
  if (pixels == 0) throw InputError(fmt::format("dataset '{}' has empty frames", dataset));
  if (dims[0] == 0) throw InputError(fmt::format("dataset '{}' has no frames", dataset));
  std::size_t first = 0, end = dims[0];
  if (frames) {
    std::tie(first, end) = *frames;
    if (end <= first) throw InvalidArgument(fmt::format("frames {}:{} is empty", first, end));
    if (end > dims[0]) {
      throw InputError(fmt::format("frames {}:{} is outside the {} frames of '{}'", first, end, dims[0], dataset));
    }
  }
  reduce::FrameReduction acc(pixels, pixels / dims[1]);
  {
    py::gil_scoped_release release;
    runtime::ThreadPool pool(threads);
    pipelines::accumulate_frames(reader, first, end, acc, pool);
  }
  return results(acc, ops, std::vector<py::ssize_t>(dims.begin() + 1, dims.end()));
}

py::dict reduce_frames(const py::object& data, const py::object& ops_in, const std::string& dataset,
                       const std::optional<std::pair<std::size_t, std::size_t>>& frames, const py::object& threads_in) {
  const reduce::ReduceOps ops = ops_from(ops_in);
  const unsigned threads = thread_count(threads_in);
  const py::object pathlike = py::module_::import("os").attr("PathLike");
  if (py::isinstance<py::str>(data) || py::isinstance(data, pathlike)) {
    return reduce_file(path_string(data), dataset, frames, ops, threads);
  }
  if (frames) throw InvalidArgument("frames applies to a file; slice the array instead");
  const py::array array = py::array::ensure(data);
  if (!array) throw InputError("data must be a numpy array [frame, ...] or a file path");
  return reduce_array(array, ops, threads);
}

}  // namespace

void bind_reduce(py::module_& m) {
  m.def("reduce", &reduce_frames, kReduceDoc, py::arg("data"), py::arg("ops") = py::none(), py::kw_only(),
        py::arg("dataset") = pipelines::ReduceRequest{}.data_path, py::arg("frames") = py::none(),
        py::arg("threads") = py::none());
}

}  // namespace xpulse::python
