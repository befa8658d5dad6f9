#pragma once
// The symmetry merging uses (`xpulse sfx merge`): the rotations of a point group, Friedel's law unless the data
// are anomalous, and the systematic absences of the lattice's centering, or of a whole space group when one is
// given. The tables and the reciprocal asymmetric unit are gemmi's (CCP4's and cctbx's ASU choices), behind this
// interface so the rest of xpulse does not see gemmi.
#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace xpulse::sfx {

using Miller = std::array<int, 3>;

// A reflection's place in the asymmetric unit: its representative, and with anomalous data whether it is the
// Friedel mate of the representative (I-) rather than a symmetry copy of it (I+).
struct AsuIndex {
  Miller hkl{};
  bool minus = false;
  bool operator==(const AsuIndex&) const = default;
};

class MergeSymmetry {
 public:
  // symbol: a point group ("mmm", "2/m", "422", "321", "-3m1", "m-3m", the 32 groups and their trigonal and
  // -4m2/-62m settings) completed with the lattice's centering letter P/A/B/C/I/F/R (R: hexagonal axes); or a
  // space group ("P212121", "C 1 2 1", "P 43 21 2"), whose centering must then be the given one. InvalidArgument
  // naming the symbol when it is neither, or when the group cannot have the centering.
  MergeSymmetry(std::string_view symbol, char centering, bool anomalous);
  ~MergeSymmetry();
  MergeSymmetry(MergeSymmetry&&) noexcept;
  MergeSymmetry& operator=(MergeSymmetry&&) noexcept;

  AsuIndex asu(const Miller& hkl) const;
  bool absent(const Miller& hkl) const;     // by the centering, and by screws and glides of a given space group
  bool centric(const Miller& hkl) const;
  bool anomalous() const { return anomalous_; }
  bool space_group_given() const { return space_group_given_; }
  std::string point_group() const;          // "mmm"
  std::string space_group() const;          // Hermann-Mauguin, "C 1 2 1" (symmorphic when only a point group was given)
  int space_group_number() const;
  int operations() const;                   // rotations of the point group

  // The 32 point groups' symbols, in International Tables order.
  static const std::array<std::string_view, 32>& point_groups();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool anomalous_ = false;
  bool space_group_given_ = false;
};

}  // namespace xpulse::sfx
