#include "pipelines/events_export.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "io/parallel_reader.h"
#include "runtime/run_recorder.h"

namespace xpulse::pipelines {
namespace {

// Copies a [frames, modules * ss, fs] dataset of the map into [frames, modules, ss, fs] of the output, in
// blocks of about 64 MiB (the same bytes: only the shape differs).
template <class T>
std::size_t copy_frames(const std::string& map, const std::string& dataset, io::Writer& w, const RunMap& m,
                        unsigned threads) {
  io::ReaderOptions options;
  options.threads = threads;
  io::ParallelReader reader(map, dataset, options);
  const std::size_t frame = static_cast<std::size_t>(m.modules) * m.ss * m.fs;
  const std::vector<std::size_t> dims = {m.frames, static_cast<std::size_t>(m.modules), m.ss, m.fs};
  const std::vector<std::size_t> chunks = {1, static_cast<std::size_t>(m.modules), m.ss, m.fs};
  w.write<T>(dataset, std::span<const T>{}, dims, "", chunks);
  const std::size_t block = std::max<std::size_t>(1, (64u << 20) / (frame * sizeof(T)));
  std::vector<T> buffer;
  for (std::size_t first = 0; first < m.frames; first += block) {
    const std::size_t count = std::min(block, m.frames - first);
    const std::size_t offset[3] = {first, 0, 0}, size[3] = {count, static_cast<std::size_t>(m.modules) * m.ss, m.fs};
    buffer.resize(count * frame);
    reader.read<T>(offset, size, buffer.data());
    w.write_rows<T>(dataset, first, buffer);
    runtime::RunRecorder::get().progress(static_cast<double>(first + count) / static_cast<double>(m.frames));
  }
  return m.frames * frame * sizeof(T);
}

}  // namespace

EventsExportSummary events_export(const EventsExportRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  std::error_code ec;
  if (!std::filesystem::is_directory(r.run_directory, ec)) {
    throw IoError(fmt::format("'{}' is not a run directory", r.run_directory));
  }
  const RunMap m = euxfel_run_map(r.run_directory, r.selection);
  io::AtomicOutput output(r.out);
  EventsExportSummary s;
  s.frames = m.frames, s.modules = m.modules, s.ss = m.ss, s.fs = m.fs, s.gain_plane = m.gain_plane;
  s.map_reused = m.reused, s.map_path = m.path;
  std::size_t bytes = 0;
  {
    const io::Reader map(m.path);
    io::Writer w(output.partial_path());
    const bool floats = map.info(kRunData).element_class == io::ElementClass::floating;
    bytes += floats ? copy_frames<float>(m.path, kRunData, w, m, r.threads)
                    : copy_frames<std::uint16_t>(m.path, kRunData, w, m, r.threads);
    if (m.gain_plane) bytes += copy_frames<std::uint16_t>(m.path, "/entry_1/data_1/gain", w, m, r.threads);
    const std::vector<std::size_t> per_frame = {m.frames};
    w.write<std::uint64_t>("/entry_1/data_1/trainId", map.read<std::uint64_t>("/entry_1/data_1/trainId"), per_frame);
    w.write<std::uint64_t>("/entry_1/data_1/pulseId", map.read<std::uint64_t>("/entry_1/data_1/pulseId"), per_frame);
    w.write<std::uint16_t>("/entry_1/data_1/cellId", map.read<std::uint16_t>("/entry_1/data_1/cellId"), per_frame);
    const std::vector<std::uint8_t> missing = map.read<std::uint8_t>("/entry_1/data_1/missing");
    s.missing_images = static_cast<std::size_t>(std::count(missing.begin(), missing.end(), 1));
    w.write<std::uint8_t>("/entry_1/data_1/missing", missing,
                          std::vector<std::size_t>{m.frames, static_cast<std::size_t>(m.modules)});
    w.attribute("/entry_1/data_1/missing", "description", "1 where the module has no image of the frame (read as 0)");
    w.attribute("/entry_1/data_1", "detector", r.selection.detector);
    w.attribute("/entry_1/data_1", "trains", r.selection.trains);
    w.attribute("/entry_1/data_1", "pulses", r.selection.pulses);
    io::write_provenance(w, r.command_line, r.run_directory);
    w.close();
  }
  output.commit();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.bytes_per_second = static_cast<double>(bytes) / std::max(s.seconds, 1e-9);
  return s;
}

}  // namespace xpulse::pipelines
