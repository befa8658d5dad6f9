#pragma once
// Ptychographic scans in CXI files (REFERENCE.md section 4): frames, the sample translations (m), the detector
// distance and pixel size, the photon energy and an optional detector mask. Translations become window positions
// on the object grid of pixel lambda z / (n dx), counted from the smallest translation; rounded to whole pixels.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/hdf5.h"
#include "ptycho/problem.h"

namespace xpulse::pipelines {

inline const std::string kCxiDetector = "/entry_1/instrument_1/detector_1/";
inline const std::string kCxiData = kCxiDetector + "data";
inline const std::string kCxiTranslation = "/entry_1/sample_1/geometry_1/translation";
inline const std::string kCxiEnergy = "/entry_1/instrument_1/source_1/energy";

struct PtychoInput {
  std::size_t frames = 0, n = 0;               // all frames, of n x n pixels
  std::size_t first = 0, count = 0;            // this part's frames
  std::vector<float> intensities;              // [count][n][n]
  std::vector<std::uint8_t> mask;              // [n][n] nonzero = bad, or empty
  std::vector<ptycho::Position> positions;     // all frames
  std::size_t object_ny = 0, object_nx = 0;
  double wavelength_m = 0, distance_m = 0, detector_pixel_m = 0, pixel_m = 0;
};

// Reads part `part` of `parts` consecutive shares of the frames (and every translation). InputError naming the
// file and dataset for a missing or inconsistent item. only_first > 0 reads a scan still being written: its
// first only_first frames and translations (the datasets may hold more), the file opened in `mode`.
// with_frames false leaves `intensities` empty (the frames are streamed: ptycho_frame_source.h).
PtychoInput read_ptycho_input(const std::string& path, int part = 0, int parts = 1, std::size_t only_first = 0,
                              io::OpenMode mode = io::OpenMode::normal, bool with_frames = true);

// Reads the frames of `input`'s part into input.intensities (after read_ptycho_input with with_frames false).
void read_ptycho_frames(const std::string& path, PtychoInput& input, io::OpenMode mode = io::OpenMode::normal);

// The positions of `input` that belong to its part, for make_problem.
std::vector<ptycho::Position> part_positions(const PtychoInput& input);

// "FILE.h5:/dataset" split at the last ':' followed by '/'; InvalidArgument when there is none.
std::pair<std::string, std::string> split_file_dataset(const std::string& spec, const std::string& option);

}  // namespace xpulse::pipelines
