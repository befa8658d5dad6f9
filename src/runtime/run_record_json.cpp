#include "runtime/run_record_json.h"

namespace xpulse::runtime {

nlohmann::json run_json(const RunRecord& r) {
  return {{"id", r.id}, {"command", r.command}, {"command_line", r.command_line}, {"host", r.host},
          {"ranks", r.ranks}, {"pid", r.pid}, {"started", r.started}, {"ended", r.ended}, {"status", r.status},
          {"message", r.message}, {"progress", r.progress},
          {"metrics", nlohmann::json::parse(r.metrics, nullptr, false)},
          {"inputs", nlohmann::json::parse(r.inputs, nullptr, false)},
          {"outputs", nlohmann::json::parse(r.outputs, nullptr, false)}};
}

nlohmann::json work_units_json(const std::vector<WorkUnitRecord>& units) {
  nlohmann::json out = nlohmann::json::array();
  for (const WorkUnitRecord& u : units) {
    out.push_back({{"rank", u.rank}, {"unit", u.unit}, {"started", u.started}, {"ended", u.ended}, {"bytes", u.bytes}});
  }
  return out;
}

nlohmann::json series_json(const std::vector<SeriesPoint>& points) {
  nlohmann::json out = nlohmann::json::array();
  for (const SeriesPoint& p : points) out.push_back({{"name", p.name}, {"x", p.x}, {"y", p.y}});
  return out;
}

}  // namespace xpulse::runtime
