#pragma once
// Kills a running xpulse job part way through, for resume tests: spawn it, wait until its journal holds enough
// records, SIGKILL it and every process it started.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/journal.h"

extern char** environ;

namespace xpulse::testing {

inline pid_t spawn(const std::string& command) {
  pid_t pid = 0;
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ);
  return pid;
}

// Every descendant of pid (from /proc), deepest last.
inline std::vector<pid_t> descendants(pid_t pid) {
  std::vector<pid_t> out = {pid};
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      std::getline(stat, line);
      const std::size_t close = line.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(line.substr(close + 2));
      char state = 0;
      pid_t parent = 0;
      rest >> state >> parent;
      if (parent == out[i]) out.push_back(static_cast<pid_t>(std::stoi(name)));
    }
  }
  return out;
}

// Runs the command, SIGKILLs it and all its processes once `min_units` units are journaled, and returns how many
// were journaled then.
inline std::size_t kill_part_way(const std::string& command, const std::string& out, std::size_t min_units) {
  const pid_t pid = spawn(command);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (runtime::Journal::recorded(out) < min_units && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return 0;  // finished (or failed) before the kill
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  for (pid_t p : descendants(pid)) ::kill(p, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // orphaned ranks are reaped by init
  return runtime::Journal::recorded(out);
}

}  // namespace xpulse::testing
