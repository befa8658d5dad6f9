#pragma once
// A distributed output: every rank writes the rows (first dimension) it computed into its own part file,
// OUT.parts/rank-R.h5, and rank 0 writes OUT, whose datasets are virtual datasets over the parts (HDF5 VDS,
// source names relative to OUT's directory, so the pair can be moved together) or plain copies (--merge).
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "io/hdf5.h"

namespace xpulse::io {

struct RowSegment {
  std::size_t part_row = 0;  // first row in the part file
  std::size_t row = 0;       // first row in the final dataset
  std::size_t rows = 0;
};

struct RowPart {
  std::string file;  // relative to the final file's directory
  std::vector<RowSegment> segments;
};

std::string parts_directory_for(const std::string& output);  // OUT.parts
std::string part_path(const std::string& output, int rank);  // OUT.parts/rank-R.h5
std::string part_reference(const std::string& output, int rank);  // the same, relative to OUT's directory
void remove_parts(const std::string& output);

// The mappings of a dataset of shape dims whose rows are spread over `parts` (each part file holds the same
// dataset name with its rows stacked in segment order).
std::vector<VirtualSource> row_part_sources(std::span<const RowPart> parts, const std::string& dataset,
                                            std::span<const std::size_t> dims);

// Writes datasets either with their data or, when parts are given, as virtual datasets over the parts.
class RowPartsWriter {
 public:
  RowPartsWriter(Writer& writer, const std::vector<RowPart>* parts) : writer_(writer), parts_(parts) {}
  template <class T>
  void write(const std::string& dataset, const std::vector<T>& data, std::span<const std::size_t> dims,
             const std::string& units = "") {
    if (parts_ != nullptr) {
      const std::vector<VirtualSource> sources = row_part_sources(*parts_, dataset, dims);
      writer_.write_virtual<T>(dataset, dims, sources, units);
    } else {
      writer_.write<T>(dataset, data, dims, units);
    }
  }

 private:
  Writer& writer_;
  const std::vector<RowPart>* parts_;
};

}  // namespace xpulse::io
