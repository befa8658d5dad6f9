#include "pipelines/pumpprobe_input.h"

#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "io/hdf5.h"

namespace xpulse::pipelines {
namespace {

std::string shape(const std::vector<std::size_t>& dims) { return fmt::format("[{}]", fmt::join(dims, ", ")); }

void check_weights(const io::Reader& in, const PumpProbeInputPaths& p, const std::vector<std::size_t>& dims) {
  if (!in.exists(p.weights)) {
    throw InputError(fmt::format("--weights: dataset '{}' not found in '{}'; use none, poisson or the path of a "
                                 "weights dataset [delay, y, x]",
                                 p.weights, p.file));
  }
  const io::DatasetInfo w = in.info(p.weights);
  if (w.dims != dims) {
    throw InputError(fmt::format("weights '{}' have shape {}, but the data '{}' are {}", p.weights, shape(w.dims),
                                 p.data, shape(dims)));
  }
  if (w.element_class == io::ElementClass::other) {
    throw InputError(fmt::format("weights '{}' are not numeric", p.weights));
  }
}

double detector_gain(const io::Reader& in, const std::string& data, const std::string& units) {
  const std::string detector_gain_path = "/entry_1/instrument_1/detector_1/adu_per_photon";
  double gain = 0.0;
  if (const std::optional<double> a = in.numeric_attribute(data, "adu_per_photon")) {
    gain = *a;
  } else if (in.exists(detector_gain_path)) {
    gain = in.read_scalar(detector_gain_path);
  } else {
    return units == "photons" ? 1.0 : 0.0;
  }
  if (!(gain > 0.0) || !std::isfinite(gain)) {
    throw InputError(fmt::format("the detector gain (adu_per_photon) of '{}' must be a positive number, got {}", data,
                                 gain));
  }
  return gain;
}

}  // namespace

PumpProbeInput open_pump_probe_input(const PumpProbeInputPaths& p) {
  io::Reader in(p.file);
  const io::DatasetInfo info = in.info(p.data);
  if (info.dims.size() != 3) {
    throw InputError(fmt::format("dataset '{}' has rank {} {}; expected 3 dimensions [delay, y, x]", p.data,
                                 info.dims.size(), shape(info.dims)));
  }
  if (info.element_class == io::ElementClass::other) {
    throw InputError(fmt::format("dataset '{}' is not numeric; expected float32, uint16 or int32", p.data));
  }
  PumpProbeInput out;
  out.n_delay = info.dims[0];
  out.ny = info.dims[1];
  out.nx = info.dims[2];
  if (out.n_delay == 0 || out.ny == 0 || out.nx == 0) {
    throw InputError(fmt::format("dataset '{}' is empty {}", p.data, shape(info.dims)));
  }
  const io::DatasetInfo delay_info = in.info(p.delays);
  if (delay_info.dims.size() != 1 || delay_info.element_class == io::ElementClass::other) {
    throw InputError(fmt::format("delays '{}' must be a 1-D numeric array, found {} {}", p.delays,
                                 delay_info.type_name(), shape(delay_info.dims)));
  }
  if (delay_info.dims[0] != out.n_delay) {
    throw InputError(fmt::format("delays '{}' have {} values but '{}' has {} delays", p.delays, delay_info.dims[0],
                                 p.data, out.n_delay));
  }
  out.delays_ps = in.read<double>(p.delays);

  if (in.exists(p.mask)) {
    const io::DatasetInfo m = in.info(p.mask);
    if (m.dims != std::vector<std::size_t>{out.ny, out.nx}) {
      throw InputError(fmt::format("mask '{}' has shape {}, but the data frames are [{}, {}]", p.mask,
                                   shape(m.dims), out.ny, out.nx));
    }
    if (m.element_class == io::ElementClass::other) throw InputError(fmt::format("mask '{}' is not numeric", p.mask));
    const std::vector<double> values = in.read<double>(p.mask);
    out.mask.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) out.mask[i] = !(values[i] == 0.0);  // NaN counts as bad
  } else if (p.mask_required) {
    throw InputError(fmt::format("dataset '{}' not found in '{}'", p.mask, p.file));
  }
  if (!p.weights.empty()) check_weights(in, p, info.dims);
  out.data_units = in.string_attribute(p.data, "units");
  if (out.data_units.empty()) out.data_units = "counts";
  out.adu_per_photon = detector_gain(in, p.data, out.data_units);
  return out;
}

}  // namespace xpulse::pipelines
