#pragma once
// `xpulse ptycho reconstruct --follow`: a scan whose CXI file is still being written (SWMR, or re-opened per poll:
// io/dataset_follower.h). As frames arrive (with their translations) the reconstruction grows with them: the
// object grid follows the scan's extent, the state carries over, and after every `update_seconds` of iterations
// the current object is written to the output atomically (marked as a preview). When the writer has gone idle the
// complete scan is reconstructed from the same cold start as an offline run, so a followed scan ends with the
// offline result, bit for bit. One process; the previews run on the CPU.
#include "pipelines/ptycho_reconstruct.h"

namespace xpulse::pipelines {

PtychoReconstructSummary ptycho_follow_file(const PtychoReconstructRequest& request);

}  // namespace xpulse::pipelines
