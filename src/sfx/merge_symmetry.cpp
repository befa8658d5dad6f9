#include "sfx/merge_symmetry.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include <fmt/format.h>
#include <gemmi/symmetry.hpp>

#include "core/error.h"

namespace xpulse::sfx {
namespace {

// Each point group (and setting) as the symmorphic primitive space group that has it; its lattice letter is
// replaced by the data's centering.
constexpr std::pair<std::string_view, std::string_view> kSymmorphic[] = {
    {"1", "P 1"},         {"-1", "P -1"},        {"2", "P 1 2 1"},      {"m", "P 1 m 1"},
    {"2/m", "P 1 2/m 1"}, {"222", "P 2 2 2"},    {"mm2", "P m m 2"},    {"mmm", "P m m m"},
    {"4", "P 4"},         {"-4", "P -4"},        {"4/m", "P 4/m"},      {"422", "P 4 2 2"},
    {"4mm", "P 4 m m"},   {"-42m", "P -4 2 m"},  {"-4m2", "P -4 m 2"},  {"4/mmm", "P 4/m m m"},
    {"3", "P 3"},         {"-3", "P -3"},        {"32", "P 3 2 1"},     {"321", "P 3 2 1"},
    {"312", "P 3 1 2"},   {"3m", "P 3 m 1"},     {"3m1", "P 3 m 1"},    {"31m", "P 3 1 m"},
    {"-3m", "P -3 m 1"},  {"-3m1", "P -3 m 1"},  {"-31m", "P -3 1 m"},  {"6", "P 6"},
    {"-6", "P -6"},       {"6/m", "P 6/m"},      {"622", "P 6 2 2"},    {"6mm", "P 6 m m"},
    {"-6m2", "P -6 m 2"}, {"-62m", "P -6 2 m"},  {"6/mmm", "P 6/m m m"}, {"23", "P 2 3"},
    {"m-3", "P m -3"},    {"432", "P 4 3 2"},    {"-43m", "P -4 3 m"},  {"m-3m", "P m -3 m"},
};

gemmi::Op::Miller to_gemmi(const Miller& h) { return {{h[0], h[1], h[2]}}; }

}  // namespace

struct MergeSymmetry::Impl {
  const gemmi::SpaceGroup* group = nullptr;
  gemmi::GroupOps ops;
  std::unique_ptr<gemmi::ReciprocalAsu> asu;
};

MergeSymmetry::~MergeSymmetry() = default;
MergeSymmetry::MergeSymmetry(MergeSymmetry&&) noexcept = default;
MergeSymmetry& MergeSymmetry::operator=(MergeSymmetry&&) noexcept = default;

MergeSymmetry::MergeSymmetry(std::string_view symbol, char centering, bool anomalous)
    : impl_(std::make_unique<Impl>()), anomalous_(anomalous) {
  centering = static_cast<char>(std::toupper(static_cast<unsigned char>(centering)));
  const auto* found = std::find_if(std::begin(kSymmorphic), std::end(kSymmorphic),
                                   [&](const auto& e) { return e.first == symbol; });
  if (found != std::end(kSymmorphic)) {
    std::string name(found->second);
    name[0] = centering;
    // Rhombohedral groups name no third position: R 3 2, R 3 m, R -3 m (hexagonal axes).
    if (centering == 'R' && name.size() > 4 && name.ends_with(" 1")) name.resize(name.size() - 2);
    impl_->group = gemmi::find_spacegroup_by_name(name);
    if (!impl_->group) {
      throw InvalidArgument(fmt::format("point group {} cannot have the centering {} (no space group {})", symbol,
                                        centering, name));
    }
  } else {
    impl_->group = symbol.empty() ? nullptr : gemmi::find_spacegroup_by_name(std::string(symbol));
    if (!impl_->group) {
      throw InvalidArgument(fmt::format("'{}' is neither a point group ({}) nor a space group", symbol,
                                        "1, -1, 2, m, 2/m, 222, mm2, mmm, 4, ..., m-3m"));
    }
    if (impl_->group->hm[0] != centering) {
      throw InvalidArgument(fmt::format("space group {} has the centering {}, the data {}", impl_->group->hm,
                                        impl_->group->hm[0], centering));
    }
    space_group_given_ = true;
  }
  impl_->ops = impl_->group->operations();
  impl_->asu = std::make_unique<gemmi::ReciprocalAsu>(impl_->group);
}

AsuIndex MergeSymmetry::asu(const Miller& hkl) const {
  const auto [h, isym] = impl_->asu->to_asu(to_gemmi(hkl), impl_->ops);
  AsuIndex out{{h[0], h[1], h[2]}, false};
  // Even ISYM: the Friedel mate of a symmetry copy. Centric reflections are their own Friedel mates.
  if (anomalous_ && isym % 2 == 0 && !impl_->ops.is_reflection_centric(h)) out.minus = true;
  return out;
}

bool MergeSymmetry::absent(const Miller& hkl) const { return impl_->ops.is_systematically_absent(to_gemmi(hkl)); }

bool MergeSymmetry::centric(const Miller& hkl) const { return impl_->ops.is_reflection_centric(to_gemmi(hkl)); }

std::string MergeSymmetry::point_group() const { return impl_->group->point_group_hm(); }

std::string MergeSymmetry::space_group() const { return impl_->group->hm; }

int MergeSymmetry::space_group_number() const { return impl_->group->number; }

int MergeSymmetry::operations() const { return static_cast<int>(impl_->ops.sym_ops.size()); }

const std::array<std::string_view, 32>& MergeSymmetry::point_groups() {
  static const std::array<std::string_view, 32> names = {
      "1",   "-1",  "2",    "m",   "2/m", "222",   "mm2", "mmm", "4",   "-4",  "4/m",
      "422", "4mm", "-42m", "4/mmm", "3", "-3",    "32",  "3m",  "-3m", "6",   "-6",
      "6/m", "622", "6mm",  "-6m2", "6/mmm", "23", "m-3", "432", "-43m", "m-3m"};
  return names;
}

}  // namespace xpulse::sfx
