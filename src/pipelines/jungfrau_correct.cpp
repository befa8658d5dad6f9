#include "pipelines/jungfrau_correct.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "correct/cuda_jungfrau.h"
#include "io/atomic_output.h"
#include "io/dtype.h"
#include "io/hdf5.h"
#include "io/parallel_reader.h"
#include "pipelines/jungfrau_input.h"
#include "runtime/thread_pool.h"

namespace xpulse::pipelines {
namespace {

constexpr std::size_t kBlockBytes = 64u << 20;  // raw words read per block of frames

void check_options(const JungfrauCorrectRequest& r) {
  const correct::JungfrauOptions& o = r.options;
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  if (!(o.photon_energy >= 0.0f) || !std::isfinite(o.photon_energy)) {
    throw InvalidArgument(fmt::format("--photon-energy must be a positive energy in keV, got {}", o.photon_energy));
  }
  if (o.pedestal_window < 0) {
    throw InvalidArgument(fmt::format("--track-pedestal must be a number of frames >= 1, got {}", o.pedestal_window));
  }
  if (!std::isfinite(o.dark_threshold)) throw InvalidArgument("--dark-threshold must be a finite number");
}

}  // namespace

JungfrauCorrectSummary correct_jungfrau_file(const JungfrauCorrectRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  check_options(r);
  io::ParallelReader reader(r.input, r.data_path, io::ReaderOptions{r.threads});
  const std::vector<std::size_t> dims = reader.dims();
  if (dims.size() < 2) {
    throw InputError(fmt::format("dataset '{}' has rank {}; expected [frame, ...] with at least 2 dimensions",
                                 r.data_path, dims.size()));
  }
  if (reader.dtype() != io::DType::u16) {
    throw InputError(fmt::format("dataset '{}' of '{}' is {}; raw JUNGFRAU data are uint16 words", r.data_path, r.input,
                                 io::dtype_name(reader.dtype())));
  }
  const std::vector<std::size_t> frame_dims(dims.begin() + 1, dims.end());
  std::size_t pixels = 1;
  for (std::size_t d : frame_dims) pixels *= d;
  if (dims[0] == 0 || pixels == 0) throw InputError(fmt::format("dataset '{}' of '{}' is empty", r.data_path, r.input));
  std::vector<float> pedestal = read_jungfrau_constants("pedestal", r.pedestal, "/pedestal", frame_dims);
  const std::vector<float> gain = read_jungfrau_constants("gain", r.gain, "/gain", frame_dims);

  JungfrauCorrectSummary s;
  s.out = r.out;
  s.frames = dims[0];
  s.pixels = pixels;
  s.units = r.options.photon_energy > 0.0f ? "photons" : "keV";
  io::AtomicOutput output(r.out);
  io::Writer writer(output.partial_path());
  std::vector<std::size_t> frame_chunk{1};
  frame_chunk.insert(frame_chunk.end(), frame_dims.begin(), frame_dims.end());
  const std::string data = "/entry_1/data_1/data", mask = "/entry_1/data_1/mask";
  writer.write<float>(data, {}, dims, s.units, frame_chunk);
  writer.write<std::uint8_t>(mask, {}, dims, "", frame_chunk);

  runtime::ThreadPool pool(r.threads);
  const std::size_t block_frames = std::max<std::size_t>(1, kBlockBytes / (pixels * sizeof(std::uint16_t)));
  std::vector<std::uint16_t> raw;
  std::vector<float> values;
  std::vector<std::uint8_t> flags;
  for (std::size_t first = 0; first < s.frames;) {
    const std::size_t k = std::min(block_frames, s.frames - first);
    std::vector<std::size_t> offset(dims.size(), 0), count = dims;
    offset[0] = first;
    count[0] = k;
    raw.resize(k * pixels);
    values.resize(k * pixels);
    flags.resize(k * pixels);
    reader.read<std::uint16_t>(offset, count, raw.data());
    if (r.cuda) {
      correct::correct_jungfrau_cuda(raw.data(), k, pixels, pedestal.data(), gain.data(), r.options, values.data(),
                                     flags.data(), r.gpu);
    } else {
      correct::correct_jungfrau(raw.data(), k, pixels, pedestal.data(), gain.data(), r.options, values.data(),
                                flags.data(), pool);
    }
    for (std::uint8_t f : flags) {
      s.invalid_gain += (f & correct::kJungfrauInvalidGain) != 0;
      s.bad_constants += (f & correct::kJungfrauBadConstants) != 0;
    }
    writer.write_rows<float>(data, first, values);
    writer.write_rows<std::uint8_t>(mask, first, flags);
    first += k;
  }
  writer.attribute(data, "description",
                   s.units == "photons" ? "(adc - pedestal[g]) / gain[g] / photon_energy, float32"
                                        : "(adc - pedestal[g]) / gain[g], float32 (gain in ADU per keV)");
  writer.attribute(mask, "description",
                   "bit 1: invalid gain bits (0b10), value 0; bit 2: unusable pedestal or gain for the pixel's stage, "
                   "value 0; 0: good");
  writer.attribute("/entry_1/data_1", "pedestal", r.pedestal);
  writer.attribute("/entry_1/data_1", "gain", r.gain);
  if (r.options.photon_energy > 0.0f) writer.attribute("/entry_1/data_1", "photon_energy_keV", r.options.photon_energy);
  if (r.options.pedestal_window > 0) {
    std::vector<std::size_t> constant_dims{3};
    constant_dims.insert(constant_dims.end(), frame_dims.begin(), frame_dims.end());
    writer.write<float>("/entry_1/data_1/pedestal_tracked", pedestal, constant_dims, "ADU");
    writer.attribute("/entry_1/data_1/pedestal_tracked", "description",
                     fmt::format("pedestals after the last frame; G0 tracked over dark frames (window {} frames, "
                                 "below {} {})",
                                 r.options.pedestal_window, r.options.dark_threshold, s.units));
  }
  io::write_provenance(writer, r.command_line, r.input);
  writer.close();
  output.commit();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace xpulse::pipelines
