#pragma once
// The run records (run_store.h) as JSON, one form for `xpulse runs --json`, the weather plot's export and the
// dashboard's API. Metrics, inputs and outputs are stored as JSON text and come out as JSON values.
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/run_store.h"

namespace xpulse::runtime {

nlohmann::json run_json(const RunRecord& run);
nlohmann::json work_units_json(const std::vector<WorkUnitRecord>& units);
nlohmann::json series_json(const std::vector<SeriesPoint>& points);

}  // namespace xpulse::runtime
