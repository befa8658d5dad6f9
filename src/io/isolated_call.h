#pragma once
// Runs a call that may crash or never return on damaged input (libhdf5 1.10 reading a variable-length string
// from a corrupt global heap does both) in a forked child process with a deadline, and hands back the bytes it
// produced. The parent process never runs the call itself, so a damaged file costs an error, not the job.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace xpulse::io {

struct IsolatedResult {
  std::optional<std::string> bytes;  // set when the call returned
  std::string failure;               // otherwise how the child ended: "crashed (signal 11)", "took longer than 10 s"
};

// `call` runs in the child; what it returns is passed back through a pipe.
IsolatedResult run_isolated(const std::function<std::string()>& call, std::chrono::milliseconds deadline);

// The deadline for reads of damaged-file suspects: XPULSE_ATTRIBUTE_TIMEOUT seconds, 10 by default.
std::chrono::milliseconds isolated_read_deadline();

// Text read from a file, made safe to print: valid UTF-8 is kept, any other byte and control characters become
// \xNN.
std::string printable(const std::string& text);

}  // namespace xpulse::io
