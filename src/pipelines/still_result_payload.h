#pragma once
// A batch of processed stills (sfx/still_processor.h) as a journal payload (runtime/journal.h), and back: what
// `xpulse sfx process` records per finished batch of frames, so that a killed run resumes and ranks' results are
// joined on rank 0 in frame order.
#include <vector>

#include "runtime/journal.h"
#include "sfx/still_processor.h"

namespace xpulse::pipelines {

void save_still_results(const std::vector<sfx::StillResult>& results, runtime::PayloadWriter& out);
std::vector<sfx::StillResult> load_still_results(runtime::PayloadReader& in);  // throws Error when torn

}  // namespace xpulse::pipelines
