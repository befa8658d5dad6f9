#pragma once
// CrystFEL geometry files (.geom, the format CrystFEL 0.10+ documents in crystfel_geometry(5), also read by
// OnDA/OM, Cheetah, EXtra-geom and psgeom): read into a faithful key/value model that writes back unchanged, and
// resolved into the panel model (geometry/panel_detector.h).
//
// Lines are `key = value` (global: a default for every panel), `panel/key = value`, `bad_NAME/key = value` (bad
// regions) and `rigid_group[_collection]_NAME = a,b,...`; `;` starts a comment. Every key is checked against
// the documented ones, so a typo is an error naming its line.
#include <string>
#include <utility>
#include <vector>

#include "geometry/panel_detector.h"

namespace xpulse::io {

using KeyValues = std::vector<std::pair<std::string, std::string>>;  // in file order

struct CrystfelGeometry {
  KeyValues globals;
  struct Section {
    std::string name;
    KeyValues keys;
    bool operator==(const Section&) const = default;
  };
  std::vector<Section> panels;
  std::vector<Section> bad_regions;  // name without the "bad" prefix's separator, e.g. "bad_gap"
  KeyValues groups;                  // rigid_group_* and rigid_group_collection_*

  // The value of `key` for `panel` (its own, else the global default), or "" when neither sets it.
  std::string value(const Section& panel, const std::string& key) const;
  bool operator==(const CrystfelGeometry&) const = default;
};

// Throws IoError (unreadable) or InputError naming the file and line (syntax, unknown key, a key set twice).
CrystfelGeometry parse_crystfel_geometry(const std::string& text, const std::string& source);
CrystfelGeometry read_crystfel_geometry(const std::string& path);
std::string format_crystfel_geometry(const CrystfelGeometry& geometry);
void write_crystfel_geometry(const CrystfelGeometry& geometry, const std::string& path);

// The panels with numbers: InputError naming panel and key for a missing or malformed value, and for
// overlapping panels.
geometry::PanelDetector resolve_panels(const CrystfelGeometry& geometry);

}  // namespace xpulse::io
