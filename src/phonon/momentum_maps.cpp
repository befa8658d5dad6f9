#include "phonon/momentum_maps.h"

#include "core/error.h"
#include "runtime/thread_pool.h"

namespace xpulse::phonon {

std::string MomentumMaps::coordinate_label() const {
  switch (coordinate_kind) {
    case Coordinate::reduced: return "|q - G|";
    case Coordinate::absolute: return "|q|";
    case Coordinate::path: return "path";
  }
  return "";
}

MomentumMaps momentum_maps(const geometry::Detector& d, const std::optional<geometry::Crystal>& crystal,
                           const BrillouinPath* path, runtime::ThreadPool& pool) {
  if (path != nullptr && !crystal) throw InputError("a --path needs the sample's unit cell and orientation");
  MomentumMaps m;
  m.coordinate_kind = path != nullptr ? Coordinate::path : crystal ? Coordinate::reduced : Coordinate::absolute;
  const std::size_t pixels = d.ny * d.nx;
  m.q.resize(3 * pixels);
  if (crystal) m.hkl.resize(3 * pixels);
  m.q_reduced.resize(pixels);
  m.coordinate.resize(pixels);
  m.polarization.resize(pixels);
  m.solid_angle.resize(pixels);
  pool.parallel_for(d.ny, [&](std::size_t y, unsigned) {
    for (std::size_t x = 0; x < d.nx; ++x) {
      const std::size_t i = y * d.nx + x;
      const double yy = static_cast<double>(y), xx = static_cast<double>(x);
      const geometry::Vec3 q = geometry::scattering_vector(d, yy, xx);
      for (int c = 0; c < 3; ++c) m.q[3 * i + c] = static_cast<float>(q[c]);
      m.polarization[i] = static_cast<float>(geometry::polarization_factor(d, yy, xx));
      m.solid_angle[i] = static_cast<float>(geometry::solid_angle(d, yy, xx));
      if (!crystal) {
        m.q_reduced[i] = static_cast<float>(geometry::norm(q));
        m.coordinate[i] = geometry::norm(q);
        continue;
      }
      const geometry::Vec3 h = crystal->miller(q);
      for (int c = 0; c < 3; ++c) m.hkl[3 * i + c] = static_cast<float>(h[c]);
      const geometry::NearestReflection g = crystal->nearest(q);
      m.q_reduced[i] = static_cast<float>(g.reduced_norm);
      m.coordinate[i] = path != nullptr ? path->locate(g.reduced_hkl) : g.reduced_norm;
    }
  });
  return m;
}

}  // namespace xpulse::phonon
