#pragma once
// The mappings of an HDF5 virtual dataset (VDS), reduced to what the parallel reader needs: a solid box of the
// virtual dataset filled from a solid box of a source dataset. Strided, unlimited or printf-named mappings are
// reported as unsupported, and the reader then uses H5Dread for the whole VDS.
#include <hdf5.h>

#include <cstddef>
#include <string>
#include <vector>

namespace xpulse::io {

struct VirtualMapping {
  std::vector<std::size_t> virtual_start, virtual_count;  // box in the virtual dataset
  std::string file;                                       // as stored; "." is the virtual dataset's own file
  std::string dataset;
  // Box in the source (its own rank). A source selected whole ("all") is stored without its extent; then
  // source_all is set and the box is filled in by resolve_source_box once the source is open.
  bool source_all = false;
  std::vector<std::size_t> source_start, source_count;
  // For each source dimension, the virtual dimension it runs along, or -1 for a dimension of extent 1.
  std::vector<int> source_axis;
};

// Sets source_axis (and, for source_all, the box from the source's dims). Dimensions of extent 1 may be added
// or dropped between source and virtual box (a 2-D frame placed into a 3-D stack); the others must match in
// order. Returns false when the shapes do not correspond.
bool resolve_source_box(VirtualMapping& m, const std::vector<std::size_t>& source_dims);

struct VirtualLayout {
  std::vector<VirtualMapping> mappings;
  std::vector<std::string> files;  // every source file name as stored, also for unsupported layouts
  std::string unsupported;         // empty when every mapping is a supported box-to-box mapping
};

VirtualLayout read_virtual_layout(hid_t dcpl, std::size_t virtual_rank);

// Where a source file named in a VDS lives: "." is the VDS file itself; a relative name is looked up beside
// the VDS file first, then relative to the working directory (HDF5's own order without HDF5_VDS_PREFIX).
std::string resolve_source_path(const std::string& vds_path, const std::string& source_file);

}  // namespace xpulse::io
