#include "pipelines/euxfel_run_map.h"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "io/euxfel_frame_plan.h"
#include "io/euxfel_run.h"
#include "io/hdf5.h"

namespace xpulse::pipelines {
namespace {

namespace fs = std::filesystem;

constexpr int kMapVersion = 1;  // bump when the map's layout changes

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (const unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

fs::path cache_directory() {
  if (const char* d = std::getenv("XPULSE_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "xpulse";
  if (const char* d = std::getenv("HOME"); d && *d) return fs::path(d) / ".cache" / "xpulse";
  throw IoError("no cache directory for the run map: set XPULSE_CACHE_DIR");
}

// The cache entry's name: everything the map depends on, files by name, size and modification time.
std::string cache_name(const std::string& directory, const RunSelection& s) {
  std::string key = fmt::format("v{}\n{}\n{}\n{}\n{}\n", kMapVersion, fs::absolute(directory).lexically_normal().string(),
                                s.detector, s.trains, s.pulses);
  for (const std::string& path : io::run_directory_files(directory)) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    const auto time = fs::last_write_time(path, ec).time_since_epoch().count();
    key += fmt::format("{} {} {}\n", fs::path(path).filename().string(), size, static_cast<long long>(time));
  }
  return fmt::format("runmap-{:016x}.h5", fnv1a(key));
}

template <class T>
void write_map_data(io::Writer& w, const io::EuxfelRun& run, const io::FramePlan& plan, int plane,
                    const std::string& dataset) {
  std::vector<io::VirtualSource> sources;
  for (const io::FramePiece& p : plan.pieces) {
    const io::EuxfelModuleFile& f = run.files[p.file];
    io::VirtualSource s;
    s.file = fs::absolute(f.path).string();
    s.dataset = "/INSTRUMENT/" + f.source + "/image/data";
    s.target_offset = {p.frame_first, static_cast<std::size_t>(f.module) * run.ss, 0};
    s.count = {p.count, run.ss, run.fs};
    if (run.gain_plane) {
      s.source_offset = {p.source_first, static_cast<std::size_t>(plane), 0, 0};
      s.source_count = {p.count, 1, run.ss, run.fs};
    } else {
      s.source_offset = {p.source_first, 0, 0};
    }
    sources.push_back(std::move(s));
  }
  const std::vector<std::size_t> dims = {plan.frames(), static_cast<std::size_t>(run.modules) * run.ss, run.fs};
  w.write_virtual<T>(dataset, dims, sources);
}

void write_map(const std::string& path, const io::EuxfelRun& run, const io::FramePlan& plan, const RunSelection& s) {
  io::Writer w(path);
  const std::size_t n = plan.frames();
  const auto write_data = [&](int plane, const std::string& dataset) {
    if (run.dtype == "uint16") {
      write_map_data<std::uint16_t>(w, run, plan, plane, dataset);
    } else if (run.dtype == "float32") {
      write_map_data<float>(w, run, plan, plane, dataset);
    } else {
      throw InputError(fmt::format("'{}' image/data is {}; the run reader takes uint16 (RAW) or float32 (CORR)",
                                   run.files.front().path, run.dtype));
    }
  };
  write_data(0, kRunData);
  if (run.gain_plane) write_data(1, "/entry_1/data_1/gain");
  w.write<std::uint64_t>("/entry_1/data_1/trainId", plan.train_ids, std::vector<std::size_t>{n});
  w.write<std::uint64_t>("/entry_1/data_1/pulseId", plan.pulse_ids, std::vector<std::size_t>{n});
  w.write<std::uint16_t>("/entry_1/data_1/cellId", plan.cell_ids, std::vector<std::size_t>{n});
  w.write<std::uint8_t>("/entry_1/data_1/missing", plan.missing,
                        std::vector<std::size_t>{n, static_cast<std::size_t>(run.modules)});
  w.attribute("/entry_1/data_1/missing", "description", "1 where the module has no image of the frame (read as 0)");
  w.attribute("/entry_1/data_1", "run_directory", fs::absolute(run.directory).string());
  w.attribute("/entry_1/data_1", "detector", s.detector);
  w.attribute("/entry_1/data_1", "trains", s.trains);
  w.attribute("/entry_1/data_1", "pulses", s.pulses);
  w.attribute("/entry_1/data_1", "modules", static_cast<double>(run.modules));
  w.close();
}

}  // namespace

RunMap euxfel_run_map(const std::string& directory, const RunSelection& s) {
  if (s.detector.empty()) throw InvalidArgument("a run directory needs --detector (e.g. SPB_DET_AGIPD1M-1)");
  const io::IdRange trains = io::parse_id_range(s.trains, "--trains");
  const io::IdRange pulses = io::parse_id_range(s.pulses, "--pulses");
  const fs::path dir = cache_directory();
  const fs::path path = dir / cache_name(directory, s);
  RunMap map;
  map.path = path.string();
  if (fs::exists(path)) {
    const io::Reader r(map.path);
    const std::vector<std::size_t> dims = r.info(kRunData).dims;
    const std::vector<std::size_t> missing = r.info("/entry_1/data_1/missing").dims;
    map.frames = dims[0], map.modules = static_cast<int>(missing[1]);
    map.ss = dims[1] / missing[1], map.fs = dims[2];
    map.gain_plane = r.exists("/entry_1/data_1/gain");
    map.reused = true;
    return map;
  }
  const io::EuxfelRun run = io::read_euxfel_run(directory, s.detector);
  const io::FramePlan plan = io::plan_frames(run, trains, pulses);
  if (plan.frames() == 0) {
    throw InputError(fmt::format("no frames of '{}' in '{}'{}", s.detector, directory,
                                 s.trains.empty() && s.pulses.empty() ? " (no valid train)" : " within --trains/--pulses"));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("cannot create the cache directory '{}' for the run map: {}", dir.string(), ec.message()));
  // Written under a name of this process, then renamed: ranks or jobs building the same map never collide.
  const std::string partial = fmt::format("{}.{}.partial", map.path, ::getpid());
  try {
    write_map(partial, run, plan, s);
    fs::rename(partial, path);
  } catch (...) {
    fs::remove(partial, ec);
    throw;
  }
  map.frames = plan.frames(), map.modules = run.modules, map.ss = run.ss, map.fs = run.fs;
  map.gain_plane = run.gain_plane;
  return map;
}

std::string stack_or_run_map(const std::string& input, const RunSelection& s) {
  std::error_code ec;
  if (fs::is_directory(input, ec)) return euxfel_run_map(input, s).path;
  if (!s.empty()) {
    throw InvalidArgument(fmt::format("--detector, --trains and --pulses select from a run directory; '{}' is not one",
                                      input));
  }
  return input;
}

}  // namespace xpulse::pipelines
