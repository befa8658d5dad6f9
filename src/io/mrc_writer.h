#pragma once
// CCP4/MRC 2014 density maps (mode 2, float32, little-endian), the format ChimeraX, PyMOL and Coot open.
#include <cstddef>
#include <string>
#include <vector>

namespace xpulse::io {

// data: [nz][ny][nx] (x fastest), voxel in angstrom; the origin is put so that the box's centre voxel
// (n / 2 along each axis) sits at 0. Writes `path` directly (callers use AtomicOutput). Throws IoError.
void write_mrc(const std::string& path, const std::vector<float>& data, std::size_t nx, std::size_t ny,
               std::size_t nz, double voxel, const std::string& label);

}  // namespace xpulse::io
