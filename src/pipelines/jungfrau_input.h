#pragma once
// JUNGFRAU correction as an input stage of any command: `--correct jungfrau:PEDESTAL,GAIN[,PHOTON_KEV]`
// (PEDESTAL and GAIN as FILE or FILE:/DATASET, [3, frame shape...]) makes the command's reader turn raw uint16
// words into keV, or photons with a photon energy, as `xpulse correct jungfrau` does (flagged values read as 0;
// no pedestal tracking).
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "io/frame_correction.h"

namespace xpulse::pipelines {

// "" gives nullptr (no stage). Throws InvalidArgument for a malformed spec; the constants are read and checked
// against the dataset when the reader opens it (InputError naming file, dataset and shapes).
std::shared_ptr<io::FrameCorrection> input_correction(const std::string& spec, unsigned threads);

// The [3, frame shape...] JUNGFRAU constants named by `source` ("FILE" or "FILE:/DATASET", dataset by default
// `default_dataset`), as float. `what` names them in errors ("pedestal", "gain").
std::vector<float> read_jungfrau_constants(const std::string& what, const std::string& source,
                                           const std::string& default_dataset,
                                           const std::vector<std::size_t>& frame_dims);

}  // namespace xpulse::pipelines
