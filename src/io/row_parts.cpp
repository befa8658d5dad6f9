#include "io/row_parts.h"

#include <filesystem>

#include <fmt/format.h>

namespace xpulse::io {

std::string parts_directory_for(const std::string& output) { return output + ".parts"; }

std::string part_path(const std::string& output, int rank) {
  return fmt::format("{}/rank-{}.h5", parts_directory_for(output), rank);
}

std::string part_reference(const std::string& output, int rank) {
  return fmt::format("{}.parts/rank-{}.h5", std::filesystem::path(output).filename().string(), rank);
}

void remove_parts(const std::string& output) {
  std::error_code ec;
  std::filesystem::remove_all(parts_directory_for(output), ec);
}

std::vector<VirtualSource> row_part_sources(std::span<const RowPart> parts, const std::string& dataset,
                                            std::span<const std::size_t> dims) {
  std::vector<VirtualSource> sources;
  for (const RowPart& part : parts) {
    for (const RowSegment& s : part.segments) {
      VirtualSource v{part.file, dataset, std::vector<std::size_t>(dims.size(), 0),
                      std::vector<std::size_t>(dims.size(), 0), {dims.begin(), dims.end()}, {}};
      v.source_offset[0] = s.part_row;
      v.target_offset[0] = s.row;
      v.count[0] = s.rows;
      sources.push_back(std::move(v));
    }
  }
  return sources;
}

}  // namespace xpulse::io
