#pragma once
// A CrystFEL stream (format 2.3) of `xpulse sfx process`'s results, so that CrystFEL's partialator and check_hkl and
// stream parsers (rs-station, CrystFEL's own) read them: a header with a CrystFEL geometry for the flat detector
// (one panel p0, fs = +x, ss = +y, CrystFEL's pixel corners at integers, so fs = x + 0.5) and the unit cell, then
// one chunk per frame with its peaks and, per lattice, the reciprocal basis (nm^-1, lab frame = CrystFEL's) and
// the integrated reflections (I and sigma(I) in photons: adu_per_photon in the geometry converts).
#include <cstdio>
#include <string>

#include "geometry/detector.h"
#include "sfx/still_processor.h"

namespace xpulse::pipelines {

class StreamWriter {
 public:
  StreamWriter(const std::string& path, const std::string& image_file, const geometry::Detector& detector,
               const geometry::UnitCell& cell, sfx::Centering centering, const std::string& command_line,
               double adu_per_photon = 1);
  ~StreamWriter();
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  void chunk(std::size_t frame, const sfx::StillResult& result);
  void close();  // IoError when the file could not be written

 private:
  std::FILE* file_ = nullptr;
  std::string path_, image_file_;
  geometry::Detector detector_;
  sfx::Centering centering_;
  std::string lattice_type_, unique_axis_;
};

}  // namespace xpulse::pipelines
