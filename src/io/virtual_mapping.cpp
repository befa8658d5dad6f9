#include "io/virtual_mapping.h"

#include <filesystem>
#include <optional>

#include "io/hdf5.h"

namespace xpulse::io {
namespace {

struct Box {
  std::vector<std::size_t> start, count;
};

// The selection of `space` as one solid box, or nothing when it is not one.
std::optional<Box> solid_box(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank <= 0) return std::nullopt;
  const auto n = static_cast<std::size_t>(rank);
  std::vector<hsize_t> dims(n);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  Box box;
  const H5S_sel_type type = H5Sget_select_type(space);
  if (type == H5S_SEL_ALL) {
    box.start.assign(n, 0);
    box.count.assign(dims.begin(), dims.end());
    return box;
  }
  if (type != H5S_SEL_HYPERSLABS || H5Sis_regular_hyperslab(space) <= 0) return std::nullopt;
  std::vector<hsize_t> start(n), stride(n), count(n), block(n);
  if (H5Sget_regular_hyperslab(space, start.data(), stride.data(), count.data(), block.data()) < 0) {
    return std::nullopt;
  }
  for (std::size_t d = 0; d < n; ++d) {
    if (count[d] == H5S_UNLIMITED || block[d] == H5S_UNLIMITED) return std::nullopt;
    if (count[d] > 1 && stride[d] != block[d]) return std::nullopt;  // gaps between blocks
    box.start.push_back(start[d]);
    box.count.push_back(count[d] * block[d]);
  }
  return box;
}

std::vector<std::size_t> non_unit_axes(const std::vector<std::size_t>& count) {
  std::vector<std::size_t> axes;
  for (std::size_t d = 0; d < count.size(); ++d) {
    if (count[d] != 1) axes.push_back(d);
  }
  return axes;
}

}  // namespace

VirtualLayout read_virtual_layout(hid_t dcpl, std::size_t virtual_rank) {
  VirtualLayout layout;
  std::size_t n = 0;
  if (H5Pget_virtual_count(dcpl, &n) < 0) {
    layout.unsupported = "cannot read the virtual mappings: " + hdf5_error_reason();
    return layout;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const ssize_t file_len = H5Pget_virtual_filename(dcpl, i, nullptr, 0);
    const ssize_t dset_len = H5Pget_virtual_dsetname(dcpl, i, nullptr, 0);
    std::string file(static_cast<std::size_t>(std::max<ssize_t>(file_len, 0)) + 1, '\0');
    std::string dset(static_cast<std::size_t>(std::max<ssize_t>(dset_len, 0)) + 1, '\0');
    H5Pget_virtual_filename(dcpl, i, file.data(), file.size());
    H5Pget_virtual_dsetname(dcpl, i, dset.data(), dset.size());
    file.resize(file.find('\0'));
    dset.resize(dset.find('\0'));
    layout.files.push_back(file);
    if (!layout.unsupported.empty()) continue;
    if (file.find('%') != std::string::npos || dset.find('%') != std::string::npos) {
      layout.unsupported = "printf-style source names";
      continue;
    }
    Handle vspace(H5Pget_virtual_vspace(dcpl, i), H5Sclose);
    Handle sspace(H5Pget_virtual_srcspace(dcpl, i), H5Sclose);
    const std::optional<Box> v = solid_box(vspace.id());
    const bool source_all = H5Sget_select_type(sspace.id()) == H5S_SEL_ALL;
    const std::optional<Box> s = source_all ? std::optional<Box>(Box{}) : solid_box(sspace.id());
    H5Eclear2(H5E_DEFAULT);
    if (!v || !s || v->start.size() != virtual_rank) {
      layout.unsupported = "a mapping that is not one solid box (strided or unlimited selection)";
      continue;
    }
    VirtualMapping m;
    m.virtual_start = v->start;
    m.virtual_count = v->count;
    m.file = file;
    m.dataset = dset;
    m.source_all = source_all;
    m.source_start = s->start;
    m.source_count = s->count;
    if (!source_all && !resolve_source_box(m, {})) {
      layout.unsupported = "a mapping whose source and virtual boxes differ in shape";
      continue;
    }
    layout.mappings.push_back(std::move(m));
  }
  return layout;
}

bool resolve_source_box(VirtualMapping& m, const std::vector<std::size_t>& source_dims) {
  if (m.source_all) {
    m.source_start.assign(source_dims.size(), 0);
    m.source_count = source_dims;
  }
  const std::vector<std::size_t> va = non_unit_axes(m.virtual_count), sa = non_unit_axes(m.source_count);
  if (va.size() != sa.size() || m.source_count.empty()) return false;
  for (std::size_t k = 0; k < va.size(); ++k) {
    if (m.virtual_count[va[k]] != m.source_count[sa[k]]) return false;
  }
  m.source_axis.assign(m.source_count.size(), -1);
  for (std::size_t k = 0; k < sa.size(); ++k) m.source_axis[sa[k]] = static_cast<int>(va[k]);
  return true;
}

std::string resolve_source_path(const std::string& vds_path, const std::string& source_file) {
  namespace fs = std::filesystem;
  if (source_file == ".") return vds_path;
  const fs::path name(source_file);
  if (name.is_absolute()) return source_file;
  const fs::path beside = fs::path(vds_path).parent_path() / name;
  std::error_code ec;
  if (fs::exists(beside, ec)) return beside.string();
  return source_file;
}

}  // namespace xpulse::io
