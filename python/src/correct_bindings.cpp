// xpulse.correct_jungfrau: raw JUNGFRAU words to keV or photons, as `xpulse correct jungfrau` (the same bits).
#include <cstdint>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bindings.h"
#include "core/error.h"
#include "correct/jungfrau_correction.h"
#include "runtime/thread_pool.h"

namespace xpulse::python {
namespace {

constexpr const char* kCorrectDoc = R"(JUNGFRAU raw correction, as `xpulse correct jungfrau` (bit-identical).

Parameters
----------
raw : numpy uint16 array [frame, ...] of raw words (gain stage in the top two bits, ADC value in the lower 14)
pedestal, gain : float arrays [3, frame shape...]: G0, G1, G2 pedestals (ADU) and gains (ADU per keV)
photon_energy : float, optional
    keV: the output is in photons (E / photon_energy); 0 (default) gives keV.
track_pedestal : int, optional
    > 0: after each frame, a G0 value below dark_threshold moves its G0 pedestal by (adc - pedestal) / track_pedestal.
dark_threshold : float, optional
    Output units (keV or photons) below which a G0 value counts as dark.
threads : int, optional

Returns
-------
(values float32 [frame, ...], flags uint8 [frame, ...], pedestal float32 [3, ...] after the last frame).
flags: 1 invalid gain bits (value 0), 2 unusable pedestal or gain for the pixel's stage (value 0).)";

py::tuple correct_jungfrau_array(const py::array& raw_in, const py::object& pedestal_in, const py::object& gain_in,
                                 float photon_energy, int track_pedestal, float dark_threshold,
                                 const py::object& threads_in) {
  if (!py::isinstance<py::array_t<std::uint16_t>>(raw_in) || raw_in.dtype().kind() != 'u' || raw_in.itemsize() != 2) {
    throw InputError(fmt::format("raw must be a uint16 array of JUNGFRAU words, not {}",
                                 py::str(raw_in.dtype()).cast<std::string>()));
  }
  if (raw_in.ndim() < 2) throw InputError("raw must be [frame, ...] with at least 2 dimensions");
  const auto raw = py::array_t<std::uint16_t, py::array::c_style | py::array::forcecast>::ensure(raw_in);
  const std::vector<py::ssize_t> shape = shape_of(raw);
  std::vector<py::ssize_t> constant_shape{3};
  constant_shape.insert(constant_shape.end(), shape.begin() + 1, shape.end());
  auto constants = [&](const py::object& in, const char* what) {
    const auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(in);
    if (!a || shape_of(a) != constant_shape) {
      throw InputError(fmt::format("{} must have shape [{}] (G0, G1, G2 planes of the frame shape)", what,
                                   fmt::join(constant_shape, ", ")));
    }
    return a;
  };
  const auto pedestal_array = constants(pedestal_in, "pedestal");
  const auto gain_array = constants(gain_in, "gain");
  if (!(photon_energy >= 0.0f)) throw InvalidArgument("photon_energy must be >= 0 keV");
  if (track_pedestal < 0) throw InvalidArgument("track_pedestal must be >= 0 frames");
  correct::JungfrauOptions o;
  o.photon_energy = photon_energy;
  o.pedestal_window = track_pedestal;
  o.dark_threshold = dark_threshold;
  const std::size_t frames = static_cast<std::size_t>(shape[0]);
  const std::size_t pixels = static_cast<std::size_t>(raw.size()) / (frames > 0 ? frames : 1);
  std::vector<float> pedestal(pedestal_array.data(), pedestal_array.data() + pedestal_array.size());
  std::vector<float> values(static_cast<std::size_t>(raw.size()));
  std::vector<std::uint8_t> flags(values.size());
  const unsigned threads = thread_count(threads_in);
  {
    py::gil_scoped_release release;
    runtime::ThreadPool pool(threads);
    correct::correct_jungfrau(raw.data(), frames, pixels, pedestal.data(), gain_array.data(), o, values.data(),
                              flags.data(), pool);
  }
  return py::make_tuple(to_numpy(std::move(values), shape), to_numpy(std::move(flags), shape),
                        to_numpy(std::move(pedestal), constant_shape));
}

}  // namespace

void bind_correct(py::module_& m) {
  m.def("correct_jungfrau", &correct_jungfrau_array, kCorrectDoc, py::arg("raw"), py::arg("pedestal"),
        py::arg("gain"), py::kw_only(), py::arg("photon_energy") = 0.0f, py::arg("track_pedestal") = 0,
        py::arg("dark_threshold") = 0.5f, py::arg("threads") = py::none());
}

}  // namespace xpulse::python
