#pragma once
// Crystal lattice and orientation: Miller indices and reduced wavevectors of scattering vectors.
//
// Convention (Busing & Levy 1967): q_lab = 2 pi U B h, with h = (h, k, l) the fractional Miller indices,
// B the reciprocal basis of the unit cell in the crystal's Cartesian frame (1/Angstrom, no 2 pi) and U the
// orientation (a rotation). UB = U B is what diffractometer software calls the orientation matrix.
#include <array>
#include <vector>

#include "geometry/mat3.h"

namespace xpulse::geometry {

struct UnitCell {
  double a = 1, b = 1, c = 1;               // Angstrom
  double alpha = 90, beta = 90, gamma = 90;  // degrees
  void validate() const;                     // throws InputError naming the parameter
  Mat3 b_matrix() const;                     // reciprocal basis (columns a*, b*, c*), 1/Angstrom
};

// The reciprocal-lattice point nearest to a scattering vector, and what is left over.
struct NearestReflection {
  std::array<int, 3> hkl{};  // integer Miller indices of G
  Vec3 reduced_hkl{};        // h - hkl: reduced wavevector in reciprocal-lattice units
  Vec3 reduced_q{};          // q - G in the lab frame, 1/Angstrom
  double reduced_norm = 0;   // |q - G|, 1/Angstrom
};

class Crystal {
 public:
  Crystal() : Crystal(UnitCell{}, kIdentity) {}
  Crystal(const UnitCell& cell, const Mat3& orientation);  // throws InputError on a bad cell or U
  static Crystal from_ub(const Mat3& ub);                  // throws InputError when UB is singular

  const UnitCell& cell() const { return cell_; }
  const Mat3& ub() const { return ub_; }
  const Mat3& orientation() const { return u_; }

  Vec3 miller(const Vec3& q) const;          // fractional h of q (lab, 1/Angstrom)
  Vec3 to_lab(const Vec3& hkl) const;        // 2 pi UB h, 1/Angstrom
  NearestReflection nearest(const Vec3& q) const;
  double reduced_wavevector(const Vec3& q) const { return nearest(q).reduced_norm; }

  // Point symmetry of the lattice metric (its holohedry) as integer matrices acting on h: every S with
  // |2 pi UB S h| = |2 pi UB h|. 48 for cubic, 16 tetragonal, 8 orthorhombic, 2 triclinic (+-identity).
  const std::vector<Mat3>& point_group() const { return point_group_; }

 private:
  UnitCell cell_;
  Mat3 u_;
  Mat3 ub_;
  Mat3 ub_inverse_;
  std::vector<Mat3> point_group_;
};

}  // namespace xpulse::geometry
