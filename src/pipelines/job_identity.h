#pragma once
// The description of a job that its journal carries (runtime/journal.h): a journal is resumed only by the same
// command on the same, unchanged input. Pipelines add the options that change their results.
#include <string>

#include <nlohmann/json.hpp>

namespace xpulse::pipelines {

// {"command", "input" (absolute), "input_bytes", "input_modified_ns"}.
nlohmann::json job_identity(const std::string& command, const std::string& input);

}  // namespace xpulse::pipelines
