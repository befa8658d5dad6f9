// The options that select frames of a European XFEL run directory given as INPUT, shared by `xpulse reduce`,
// `xpulse sfx peaks` and `xpulse events export`.
#include "cli.h"
#include "pipelines/euxfel_run_map.h"

namespace xpulse::cli {

void add_run_options(CLI::App* command, pipelines::RunSelection& s) {
  command->add_option("--detector", s.detector,
                      "With a run directory as INPUT: the multi-module detector, e.g. SPB_DET_AGIPD1M-1 (its sources\n"
                      "<detector>/DET/<n>CH0:xtdf; modules stacked along ss)");
  command->add_option("--trains", s.trains, "With a run directory: train IDs FIRST:END (END excluded; either may be left out)");
  command->add_option("--pulses", s.pulses, "With a run directory: pulse IDs FIRST:END (END excluded)");
}

}  // namespace xpulse::cli
