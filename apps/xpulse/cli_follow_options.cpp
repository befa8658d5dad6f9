// The options of following a file that is still being written, shared by `xpulse reduce` and `xpulse sfx peaks`.
#include "cli.h"
#include "io/dataset_follower.h"

namespace xpulse::cli {

void add_follow_options(CLI::App* command, bool& follow, io::FollowOptions& options) {
  command->add_flag("--follow", follow, "Follow a file that is still being written (SWMR, or re-open per poll)");
  command->add_option("--poll", options.poll_seconds, "With --follow: seconds between polls")->capture_default_str();
  command->add_option("--idle-timeout", options.idle_timeout_seconds,
                      "With --follow: stop when no frame arrived for this many seconds")
      ->capture_default_str();
}

}  // namespace xpulse::cli
