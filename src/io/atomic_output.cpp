#include "io/atomic_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "core/error.h"
#include "io/hdf5.h"
#include "xpulse/version.h"

namespace xpulse::io {

AtomicOutput::AtomicOutput(std::string final_path) : final_(std::move(final_path)), partial_(final_ + ".partial") {
  namespace fs = std::filesystem;
  if (final_.empty()) throw IoError("output path is empty");
  const fs::path parent = fs::path(final_).parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::exists(parent, ec)) {
    throw IoError(fmt::format("output directory '{}' does not exist", parent.string()));
  }
  if (!parent.empty() && !fs::is_directory(parent, ec)) {
    throw IoError(fmt::format("output directory '{}' is not a directory", parent.string()));
  }
  if (fs::is_directory(final_, ec)) throw IoError(fmt::format("output '{}' is a directory", final_));
  const int fd = ::open(partial_.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) {
    throw IoError(fmt::format("cannot write output '{}': {}", final_, std::strerror(errno)));
  }
  ::close(fd);
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) std::remove(partial_.c_str());
}

void AtomicOutput::commit() {
  if (std::rename(partial_.c_str(), final_.c_str()) != 0) {
    throw IoError(fmt::format("cannot rename '{}' to '{}': {}", partial_, final_, std::strerror(errno)));
  }
  committed_ = true;
}

void write_provenance(Writer& writer, const std::string& command_line, const std::string& input_files) {
  writer.attribute("/", "xpulse_version", std::string(kVersion));
  writer.attribute("/", "command_line", command_line);
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  writer.attribute("/", "created", fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", now));
  writer.attribute("/", "input_files", input_files);
}

}  // namespace xpulse::io
