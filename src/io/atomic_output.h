#pragma once
// An output file that appears under its final name only when complete: written as NAME.partial, renamed on
// commit(), removed if the job fails before that.
#include <string>

namespace xpulse::io {

class AtomicOutput {
 public:
  // Checks at once that the output can be created (directory exists and is writable): throws IoError.
  explicit AtomicOutput(std::string final_path);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& partial_path() const { return partial_; }
  const std::string& final_path() const { return final_; }
  void commit();  // renames the partial file to the final name

 private:
  std::string final_;
  std::string partial_;
  bool committed_ = false;
};

// Root attributes every xpulse output carries (ARCHITECTURE.md): xpulse_version, command_line, created,
// input_files.
class Writer;
void write_provenance(Writer& writer, const std::string& command_line, const std::string& input_files);

}  // namespace xpulse::io
