#include "pipelines/jungfrau_input.h"

#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "correct/jungfrau_correction.h"
#include "io/hdf5.h"
#include "runtime/thread_pool.h"

namespace xpulse::pipelines {
namespace {

std::pair<std::string, std::string> split_source(const std::string& text, const std::string& default_dataset) {
  const std::size_t colon = text.rfind(':');
  if (colon != std::string::npos && colon + 1 < text.size() && text[colon + 1] == '/') {
    return {text.substr(0, colon), text.substr(colon + 1)};
  }
  return {text, default_dataset};
}

class JungfrauInput final : public io::FrameCorrection {
 public:
  JungfrauInput(std::string pedestal, std::string gain, float photon_energy, unsigned threads)
      : pedestal_source_(std::move(pedestal)), gain_source_(std::move(gain)), pool_(threads) {
    options_.photon_energy = photon_energy;
  }

  io::DType stored_type() const override { return io::DType::u16; }

  void check(std::span<const std::size_t> dims, const std::string& dataset) const override {
    if (dims.size() < 2) {
      throw InputError(fmt::format("dataset '{}' has rank {}; JUNGFRAU correction needs [frame, ...]", dataset,
                                   dims.size()));
    }
    frame_dims_.assign(dims.begin() + 1, dims.end());
    pedestal_ = read_jungfrau_constants("pedestal", pedestal_source_, "/pedestal", frame_dims_);
    gain_ = read_jungfrau_constants("gain", gain_source_, "/gain", frame_dims_);
  }

  void apply(const void* raw, std::span<const std::size_t> offset, std::span<const std::size_t> count,
             float* out) override {
    gather_constants(offset, count);
    const std::size_t pixels = region_pedestal_.size() / 3;
    flags_.resize(count[0] * pixels);
    correct::correct_jungfrau(static_cast<const std::uint16_t*>(raw), count[0], pixels, region_pedestal_.data(),
                              region_gain_.data(), options_, out, flags_.data(), pool_);
  }

  std::string units() const override { return options_.photon_energy > 0.0f ? "photons" : "keV"; }

  std::string describe() const override {
    return options_.photon_energy > 0.0f
               ? fmt::format("JUNGFRAU correction to photons at {} keV", options_.photon_energy)
               : std::string("JUNGFRAU correction to keV");
  }

 private:
  // The constants of the box's pixels (its place in the frame), [3][box pixels]; kept while boxes repeat it.
  void gather_constants(std::span<const std::size_t> offset, std::span<const std::size_t> count) {
    std::vector<std::size_t> region(offset.begin() + 1, offset.end());
    region.insert(region.end(), count.begin() + 1, count.end());
    if (region == region_) return;
    region_ = region;
    const std::size_t rank = frame_dims_.size();
    std::size_t box = 1, frame = 1;
    for (std::size_t d = 0; d < rank; ++d) {
      box *= count[d + 1];
      frame *= frame_dims_[d];
    }
    region_pedestal_.resize(3 * box);
    region_gain_.resize(3 * box);
    std::vector<std::size_t> at(rank, 0);  // position within the box, row-major
    for (std::size_t i = 0; i < box; ++i) {
      std::size_t linear = 0;
      for (std::size_t d = 0; d < rank; ++d) linear = linear * frame_dims_[d] + offset[d + 1] + at[d];
      for (std::size_t g = 0; g < 3; ++g) {
        region_pedestal_[g * box + i] = pedestal_[g * frame + linear];
        region_gain_[g * box + i] = gain_[g * frame + linear];
      }
      for (std::size_t d = rank; d-- > 0;) {
        if (++at[d] < count[d + 1]) break;
        at[d] = 0;
      }
    }
  }

  std::string pedestal_source_, gain_source_;
  correct::JungfrauOptions options_;
  runtime::ThreadPool pool_;
  mutable std::vector<std::size_t> frame_dims_;
  mutable std::vector<float> pedestal_, gain_;  // [3][frame pixels], loaded by check()
  std::vector<std::size_t> region_;
  std::vector<float> region_pedestal_, region_gain_;
  std::vector<std::uint8_t> flags_;
};

}  // namespace

std::vector<float> read_jungfrau_constants(const std::string& what, const std::string& source,
                                           const std::string& default_dataset,
                                           const std::vector<std::size_t>& frame_dims) {
  const auto [file, dataset] = split_source(source, default_dataset);
  const io::Reader reader(file);
  const io::DatasetInfo info = reader.info(dataset);
  std::vector<std::size_t> expected{3};
  expected.insert(expected.end(), frame_dims.begin(), frame_dims.end());
  if (info.dims != expected) {
    throw InputError(fmt::format("{} '{}' in '{}' has shape [{}]; expected [{}] (G0, G1, G2 planes of the frame shape)",
                                 what, dataset, file, fmt::join(info.dims, ", "), fmt::join(expected, ", ")));
  }
  return reader.read<float>(dataset);
}

std::shared_ptr<io::FrameCorrection> input_correction(const std::string& spec, unsigned threads) {
  if (spec.empty()) return nullptr;
  const std::string prefix = "jungfrau:";
  const std::string usage = fmt::format("--correct '{}': expected jungfrau:PEDESTAL,GAIN[,PHOTON_KEV]", spec);
  if (spec.rfind(prefix, 0) != 0) throw InvalidArgument(usage);
  std::vector<std::string> parts;
  std::size_t pos = prefix.size();
  while (pos <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', pos), spec.size());
    parts.push_back(spec.substr(pos, comma - pos));
    pos = comma + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) throw InvalidArgument(usage);
  float photon_energy = 0.0f;
  if (parts.size() == 3) {
    std::size_t used = 0;
    try {
      photon_energy = std::stof(parts[2], &used);
    } catch (...) {
      used = 0;
    }
    if (used != parts[2].size() || !(photon_energy > 0.0f) || !std::isfinite(photon_energy)) {
      throw InvalidArgument(fmt::format("--correct '{}': the photon energy must be a positive number of keV", spec));
    }
  }
  return std::make_shared<JungfrauInput>(parts[0], parts[1], photon_energy, threads);
}

}  // namespace xpulse::pipelines
