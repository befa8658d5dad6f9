#include "io/euxfel_run.h"

#include <hdf5.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "io/hdf5.h"

namespace xpulse::io {
namespace {

namespace fs = std::filesystem;

// The first element of a 1-D string dataset, fixed-length or variable; "" when absent.
std::string first_string(const Reader& reader, const std::string& path) {
  if (!reader.exists(path)) return "";
  Handle d = reader.open_dataset(path);
  Handle type(H5Dget_type(d.id()), H5Tclose);
  if (H5Tget_class(type.id()) != H5T_STRING) {
    throw InputError(fmt::format("'{}' in '{}' is not a string", path, reader.path()));
  }
  Handle space(H5Dget_space(d.id()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.id());
  if (n < 1) return "";
  const hsize_t one = 1, zero = 0;
  H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, &zero, nullptr, &one, nullptr);
  Handle memory(H5Screate_simple(1, &one, nullptr), H5Sclose);
  std::string value;
  if (H5Tis_variable_str(type.id()) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.id(), H5T_VARIABLE);
    char* text = nullptr;
    if (H5Dread(d.id(), mem.id(), memory.id(), space.id(), H5P_DEFAULT, &text) < 0) {
      throw InputError(fmt::format("cannot read '{}' in '{}': {}", path, reader.path(), hdf5_error_reason()));
    }
    if (text != nullptr) value = text;
    H5free_memory(text);
  } else {
    const std::size_t size = H5Tget_size(type.id());
    std::string buffer(size, '\0');
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.id(), size);
    if (H5Dread(d.id(), mem.id(), memory.id(), space.id(), H5P_DEFAULT, buffer.data()) < 0) {
      throw InputError(fmt::format("cannot read '{}' in '{}': {}", path, reader.path(), hdf5_error_reason()));
    }
    value = buffer.substr(0, buffer.find('\0'));
  }
  return value;
}

// The module numbers of `detector`'s sources in a file: the groups INSTRUMENT/<detector>/DET/<n>CH0:xtdf.
std::vector<std::pair<int, std::string>> module_sources(const Reader& reader, const std::string& detector) {
  const std::string group = "/INSTRUMENT/" + detector + "/DET";
  std::vector<std::pair<int, std::string>> found;
  if (H5Lexists(reader.id(), ("/INSTRUMENT/" + detector).c_str(), H5P_DEFAULT) <= 0 ||
      H5Lexists(reader.id(), group.c_str(), H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return found;
  }
  std::vector<std::string> names;
  H5Literate_by_name(
      reader.id(), group.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->push_back(name);
        return 0;
      },
      &names, H5P_DEFAULT);
  static const std::regex xtdf(R"((\d+)CH0:xtdf)");
  for (const std::string& name : names) {
    std::smatch m;
    if (std::regex_match(name, m, xtdf)) found.emplace_back(std::stoi(m[1].str()), detector + "/DET/" + name);
  }
  return found;
}

std::vector<std::uint64_t> read_u64(const Reader& reader, const std::string& path, std::size_t at_least,
                                    const std::string& what) {
  if (!reader.exists(path)) throw InputError(fmt::format("'{}' has no {}", reader.path(), path));
  std::vector<std::uint64_t> v = reader.read<std::uint64_t>(path);
  if (v.size() < at_least) {
    throw InputError(fmt::format("'{}': {} has {} entries for {} {} (truncated INDEX?)", reader.path(), path,
                                 v.size(), at_least, what));
  }
  return v;
}

// Reads one module's file and checks its INDEX against its per-frame train IDs.
EuxfelModuleFile read_module_file(const Reader& reader, int module, const std::string& source) {
  EuxfelModuleFile f;
  f.path = reader.path();
  f.module = module;
  f.source = source;
  f.format_version = first_string(reader, "/METADATA/dataFormatVersion");
  if (f.format_version.empty()) f.format_version = "0.5";
  if (!reader.exists("/INDEX/trainId")) throw InputError(fmt::format("'{}' has no INDEX/trainId", f.path));
  std::vector<std::uint64_t> ids = reader.read<std::uint64_t>("/INDEX/trainId");
  // The INDEX is padded with zero train IDs at its end.
  std::size_t trains = ids.size();
  while (trains > 0 && ids[trains - 1] == 0) --trains;
  if (std::find(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(trains), 0u) != ids.begin() + static_cast<std::ptrdiff_t>(trains)) {
    throw InputError(fmt::format("'{}': INDEX/trainId holds train ID 0 before its end", f.path));
  }
  ids.resize(trains);
  f.train_ids = ids;
  std::vector<std::int32_t> flag;
  if (f.format_version != "0.5") {
    if (!reader.exists("/INDEX/flag")) throw InputError(fmt::format("'{}' (format {}) has no INDEX/flag", f.path, f.format_version));
    flag = reader.read<std::int32_t>("/INDEX/flag");
    if (flag.size() < trains) {
      throw InputError(fmt::format("'{}': INDEX/flag has {} entries for {} trains (truncated INDEX?)", f.path, flag.size(), trains));
    }
    flag.resize(trains);
  }
  f.valid = train_validity(f.format_version, f.train_ids, flag);
  const std::string index = "/INDEX/" + source + "/image/";
  f.first = read_u64(reader, index + "first", trains, "trains");
  f.first.resize(trains);
  if (reader.exists(index + "count")) {
    f.count = read_u64(reader, index + "count", trains, "trains");
  } else {  // format 0.5: first, last and status
    const std::vector<std::uint64_t> last = read_u64(reader, index + "last", trains, "trains");
    const std::vector<std::uint64_t> status = read_u64(reader, index + "status", trains, "trains");
    f.count.resize(trains);
    for (std::size_t t = 0; t < trains; ++t) f.count[t] = status[t] != 0 ? last[t] - f.first[t] + 1 : 0;
  }
  f.count.resize(trains);
  const std::string image = "/INSTRUMENT/" + source + "/image/";
  const DatasetInfo data = reader.info(image + "data");
  if (data.dims.size() != 3 && !(data.dims.size() == 4 && data.dims[1] == 2)) {
    throw InputError(fmt::format("'{}': {}data has {} dimensions; expected [frames, ss, fs] or [frames, 2, ss, fs]",
                                 f.path, image, data.dims.size()));
  }
  f.data_dims = data.dims;
  f.dtype = data.type_name();
  const std::size_t frames = data.dims[0];
  const std::vector<std::uint64_t> frame_trains = read_u64(reader, image + "trainId", frames, "frames");
  f.pulse_ids = read_u64(reader, image + "pulseId", frames, "frames");
  f.pulse_ids.resize(frames);  // [frames] or [frames, 1]
  if (reader.exists(image + "cellId")) {
    f.cell_ids = reader.read<std::uint16_t>(image + "cellId");
    f.cell_ids.resize(frames);
  } else {
    f.cell_ids.assign(frames, 0);
  }
  for (std::size_t t = 0; t < trains; ++t) {
    if (f.count[t] == 0) continue;
    if (f.first[t] + f.count[t] > frames) {
      throw InputError(fmt::format("'{}': the INDEX puts train {}'s frames at {}..{}, but {}data holds {} frames",
                                   f.path, f.train_ids[t], f.first[t], f.first[t] + f.count[t] - 1, image, frames));
    }
    for (std::uint64_t k = f.first[t]; k < f.first[t] + f.count[t]; ++k) {
      if (frame_trains[k] != f.train_ids[t]) {
        throw InputError(fmt::format("'{}': the INDEX puts frame {} in train {}, but {}trainId says {}", f.path, k,
                                     f.train_ids[t], image, frame_trains[k]));
      }
    }
  }
  return f;
}

// "RAW-R0042-AGIPD03-S00001.h5" -> 1; -1 for other names.
long sequence_number(const std::string& path) {
  static const std::regex name(R"((RAW|CORR)-R\d+-.+-S(\d+)\.h5)");
  std::smatch m;
  const std::string file = fs::path(path).filename().string();
  return std::regex_match(file, m, name) ? std::stol(m[2].str()) : -1;
}

// Every module must have the sequence files the others have, and at least one file.
void check_module_files(const EuxfelRun& run) {
  std::map<int, std::set<long>> sequences;
  std::set<long> all;
  std::map<long, std::string> example;
  for (const auto& f : run.files) {
    const long s = sequence_number(f.path);
    sequences[f.module].insert(s);
    if (s >= 0) all.insert(s), example.emplace(s, fs::path(f.path).filename().string());
  }
  for (int m = 0; m < run.modules; ++m) {
    if (!sequences.count(m)) {
      throw InputError(fmt::format("module {} of '{}' has no files in '{}' (modules 0..{} are expected)", m,
                                   run.detector, run.directory, run.modules - 1));
    }
    for (const long s : all) {
      if (!sequences[m].count(s)) {
        throw InputError(fmt::format("module {} of '{}' has no sequence {} file in '{}' (the other modules have, "
                                     "e.g. '{}')", m, run.detector, s, run.directory, example[s]));
      }
    }
  }
}

}  // namespace

std::vector<std::uint8_t> train_validity(const std::string& version, const std::vector<std::uint64_t>& ids,
                                         const std::vector<std::int32_t>& flag) {
  std::vector<std::uint8_t> valid(ids.size(), 1);
  if (version == "0.5") {
    // No flag: at each step down in the train IDs, invalidate the side with fewer trains out of order.
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
      if (ids[i + 1] > ids[i]) continue;
      std::size_t before = 0, after = 0;
      for (std::size_t j = 0; j <= i; ++j) before += ids[j] >= ids[i + 1];
      for (std::size_t j = i + 1; j < ids.size(); ++j) after += ids[j] <= ids[i];
      if (before < after) {
        for (std::size_t j = 0; j <= i; ++j) valid[j] = valid[j] && !(ids[j] >= ids[i + 1]);
      } else {
        for (std::size_t j = i + 1; j < ids.size(); ++j) valid[j] = valid[j] && !(ids[j] <= ids[i]);
      }
    }
    return valid;
  }
  for (std::size_t t = 0; t < ids.size(); ++t) valid[t] = version == "1.1" ? flag[t] == 0 : flag[t] != 0;
  return valid;
}

std::vector<std::string> run_directory_files(const std::string& directory) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) throw IoError(fmt::format("'{}' is not a directory", directory));
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    if (entry.path().extension() == ".h5" && entry.is_regular_file()) files.push_back(entry.path().string());
  }
  if (ec) throw IoError(fmt::format("cannot list '{}': {}", directory, ec.message()));
  std::sort(files.begin(), files.end());
  return files;
}

EuxfelRun read_euxfel_run(const std::string& directory, const std::string& detector) {
  if (detector.empty()) throw InvalidArgument("a run directory needs --detector (e.g. SPB_DET_AGIPD1M-1)");
  EuxfelRun run;
  run.directory = directory;
  run.detector = detector;
  for (const std::string& path : run_directory_files(directory)) {
    const Reader reader(path);
    for (const auto& [module, source] : module_sources(reader, detector)) {
      run.files.push_back(read_module_file(reader, module, source));
    }
  }
  if (run.files.empty()) {
    throw InputError(fmt::format("no file in '{}' holds a source of detector '{}' (INSTRUMENT/{}/DET/<n>CH0:xtdf)",
                                 directory, detector, detector));
  }
  std::stable_sort(run.files.begin(), run.files.end(), [](const auto& a, const auto& b) {
    return a.module != b.module ? a.module < b.module : sequence_number(a.path) < sequence_number(b.path);
  });
  const EuxfelModuleFile& ref = run.files.front();
  run.ss = ref.data_dims[ref.data_dims.size() - 2];
  run.fs = ref.data_dims.back();
  run.dtype = ref.dtype;
  run.gain_plane = ref.data_dims.size() == 4;
  for (const auto& f : run.files) {
    run.modules = std::max(run.modules, f.module + 1);
    if (f.data_dims.size() != ref.data_dims.size() || f.data_dims[f.data_dims.size() - 2] != run.ss ||
        f.data_dims.back() != run.fs || f.dtype != run.dtype) {
      throw InputError(fmt::format("'{}' holds {} frames of {}x{}; '{}' holds {} frames of {}x{}", f.path, f.dtype,
                                   f.data_dims[f.data_dims.size() - 2], f.data_dims.back(), ref.path, run.dtype,
                                   run.ss, run.fs));
    }
  }
  check_module_files(run);
  return run;
}

}  // namespace xpulse::io
