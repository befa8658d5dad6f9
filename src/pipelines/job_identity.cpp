#include "pipelines/job_identity.h"

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>

namespace xpulse::pipelines {

nlohmann::json job_identity(const std::string& command, const std::string& input) {
  struct stat st {};
  ::stat(input.c_str(), &st);
  nlohmann::json j;
  j["command"] = command;
  j["input"] = std::filesystem::absolute(input).lexically_normal().string();
  j["input_bytes"] = static_cast<std::uint64_t>(st.st_size);
  j["input_modified_ns"] = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return j;
}

}  // namespace xpulse::pipelines
