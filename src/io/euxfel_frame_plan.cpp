#include "io/euxfel_frame_plan.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::io {
namespace {

std::optional<std::uint64_t> parse_id(const std::string& text, const std::string& option, const std::string& whole) {
  if (text.empty()) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw InvalidArgument(fmt::format("{} must be FIRST:END (IDs, END excluded; either may be left out), got '{}'",
                                      option, whole));
  }
  return v;
}

// One module's frames of one train: the file and the train's position in it.
struct TrainEntry {
  std::size_t file = 0, train = 0;
};

}  // namespace

IdRange parse_id_range(const std::string& text, const std::string& option) {
  IdRange r;
  if (text.empty()) return r;
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) {
    throw InvalidArgument(fmt::format("{} must be FIRST:END (IDs, END excluded; either may be left out), got '{}'",
                                      option, text));
  }
  r.first = parse_id(text.substr(0, colon), option, text);
  r.end = parse_id(text.substr(colon + 1), option, text);
  if (r.first && r.end && *r.end <= *r.first) {
    throw InvalidArgument(fmt::format("{} '{}' selects nothing: END must exceed FIRST", option, text));
  }
  return r;
}

FramePlan plan_frames(const EuxfelRun& run, const IdRange& trains, const IdRange& pulses) {
  FramePlan plan;
  plan.modules = run.modules;
  const auto modules = static_cast<std::size_t>(run.modules);
  // train ID -> per module, where its frames are.
  std::map<std::uint64_t, std::vector<std::optional<TrainEntry>>> by_train;
  for (std::size_t i = 0; i < run.files.size(); ++i) {
    const EuxfelModuleFile& f = run.files[i];
    for (std::size_t t = 0; t < f.train_ids.size(); ++t) {
      if (!f.valid[t] || f.count[t] == 0 || !trains.contains(f.train_ids[t])) continue;
      auto& slots = by_train[f.train_ids[t]];
      slots.resize(modules);
      auto& slot = slots[static_cast<std::size_t>(f.module)];
      if (slot) {
        throw InputError(fmt::format("train {} is recorded twice for module {}: in '{}' and '{}'", f.train_ids[t],
                                     f.module, run.files[slot->file].path, f.path));
      }
      slot = TrainEntry{i, t};
    }
  }
  std::vector<std::ptrdiff_t> last_piece(modules, -1);  // per module, to extend contiguous copies
  for (const auto& [train, slots] : by_train) {
    // The pulses any module recorded in this train, in order.
    std::vector<std::uint64_t> train_pulses;
    for (std::size_t m = 0; m < modules; ++m) {
      if (!slots[m]) continue;
      const EuxfelModuleFile& f = run.files[slots[m]->file];
      const std::size_t first = f.first[slots[m]->train], count = f.count[slots[m]->train];
      std::vector<std::uint64_t> own;
      for (std::size_t k = first; k < first + count; ++k) {
        if (pulses.contains(f.pulse_ids[k])) own.push_back(f.pulse_ids[k]);
      }
      std::sort(own.begin(), own.end());
      if (std::adjacent_find(own.begin(), own.end()) != own.end()) {
        throw InputError(fmt::format("'{}': train {} holds pulse ID {} twice", f.path, train,
                                     *std::adjacent_find(own.begin(), own.end())));
      }
      train_pulses.insert(train_pulses.end(), own.begin(), own.end());
    }
    std::sort(train_pulses.begin(), train_pulses.end());
    train_pulses.erase(std::unique(train_pulses.begin(), train_pulses.end()), train_pulses.end());
    const std::size_t base = plan.frames();
    for (const std::uint64_t p : train_pulses) plan.train_ids.push_back(train), plan.pulse_ids.push_back(p);
    plan.cell_ids.resize(plan.frames(), 0);
    plan.missing.resize(plan.frames() * modules, 1);
    std::vector<std::uint8_t> has_cell(train_pulses.size(), 0);
    for (std::size_t m = 0; m < modules; ++m) {
      if (!slots[m]) continue;
      const EuxfelModuleFile& f = run.files[slots[m]->file];
      const std::size_t first = f.first[slots[m]->train], count = f.count[slots[m]->train];
      for (std::size_t k = first; k < first + count; ++k) {
        if (!pulses.contains(f.pulse_ids[k])) continue;
        const std::size_t at = static_cast<std::size_t>(
            std::lower_bound(train_pulses.begin(), train_pulses.end(), f.pulse_ids[k]) - train_pulses.begin());
        const std::size_t frame = base + at;
        plan.missing[frame * modules + m] = 0;
        if (!has_cell[at]) plan.cell_ids[frame] = f.cell_ids[k], has_cell[at] = 1;
        FramePiece* piece = last_piece[m] >= 0 ? &plan.pieces[static_cast<std::size_t>(last_piece[m])] : nullptr;
        if (piece && piece->file == slots[m]->file && piece->source_first + piece->count == k &&
            piece->frame_first + piece->count == frame) {
          ++piece->count;
        } else {
          plan.pieces.push_back({slots[m]->file, k, frame, 1});
          last_piece[m] = static_cast<std::ptrdiff_t>(plan.pieces.size() - 1);
        }
      }
    }
  }
  return plan;
}

}  // namespace xpulse::io
