#pragma once
// European XFEL run directories (the facility's HDF5 data format, versions 0.5 and 1.0-1.3, as its data-format
// description and its reader EXtra-data define them): one file per aggregator and sequence
// (RAW-R0042-AGIPD03-S00001.h5, CORR-...), each with
//   INDEX/trainId [trains] (zero-padded at the end), INDEX/flag [trains] (1.0+),
//   INDEX/<source>/image/{first, count} [trains] (0.5: first, last, status),
//   INSTRUMENT/<source>/image/{data, trainId, pulseId, cellId} [frames, ...],
// a multi-module detector's sources being <detector>/DET/<module>CH0:xtdf. This reads the per-train index and
// the per-frame pulse and cell IDs of every module file and checks them against each other; the frame data are
// read later through the parallel reader.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xpulse::io {

struct EuxfelModuleFile {
  std::string path;
  std::string source;           // e.g. SPB_DET_AGIPD1M-1/DET/3CH0:xtdf
  int module = 0;
  std::string format_version;   // METADATA/dataFormatVersion; "0.5" where absent
  std::vector<std::uint64_t> train_ids;  // INDEX/trainId without its zero padding
  std::vector<std::uint8_t> valid;       // per train, by the format's flag rules
  std::vector<std::uint64_t> first, count;  // per train: the train's frames in image/data
  std::vector<std::uint64_t> pulse_ids;     // per frame
  std::vector<std::uint16_t> cell_ids;      // per frame (0 where the file has none)
  std::vector<std::size_t> data_dims;       // image/data: [frames, ss, fs] or RAW's [frames, 2, ss, fs]
  std::string dtype;                        // of image/data
};

struct EuxfelRun {
  std::string directory, detector;
  std::vector<EuxfelModuleFile> files;  // by module, then by first train
  int modules = 0;                      // largest module number + 1
  std::size_t ss = 0, fs = 0;
  std::string dtype;
  bool gain_plane = false;              // RAW AGIPD: image/data [frames, 2, ss, fs], plane 1 the gain
};

// The *.h5 files of a directory, sorted by name; IoError when it is not a readable directory.
std::vector<std::string> run_directory_files(const std::string& directory);

// Reads and checks every file of `directory` that holds a source of `detector`. InputError naming the file for
// a file that is not in the format, a truncated or inconsistent INDEX (fewer entries than trains, frames past
// the end of image/data, image/trainId disagreeing with the INDEX), a sequence file missing for one module
// that the others have, modules that disagree in shape or type, and a detector with no files.
EuxfelRun read_euxfel_run(const std::string& directory, const std::string& detector);

// Validity of each train by the format's rules: 0.5 has no flag (trains out of order are invalidated, keeping
// the longer monotonic side, as EXtra-data does); 1.0, 1.2 and later: flag != 0; 1.1: flag == 0 (that version
// stored an index there).
std::vector<std::uint8_t> train_validity(const std::string& format_version, const std::vector<std::uint64_t>& train_ids,
                                         const std::vector<std::int32_t>& flag);

}  // namespace xpulse::io
