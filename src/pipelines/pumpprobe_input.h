#pragma once
// The checked description of a pump-probe input file: stack shape, delays, mask and units (the stack itself
// is read in bands by the pipelines).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xpulse::pipelines {

struct PumpProbeInputPaths {
  std::string file;
  std::string data = "/entry_1/data_1/data";
  std::string delays = "/entry_1/data_1/delay";
  std::string mask = "/entry_1/data_1/mask";
  bool mask_required = false;  // true when the user named --mask: then it must exist
};

struct PumpProbeInput {
  std::size_t n_delay = 0, ny = 0, nx = 0;
  std::vector<double> delays_ps;
  std::vector<std::uint8_t> mask;  // [ny * nx], 1 = bad; empty when the file has none
  std::string data_units;          // the data's "units" attribute, "counts" when absent
};

// Throws InputError naming the file and dataset: missing, wrong rank or type, empty, mismatched delays/mask.
PumpProbeInput open_pump_probe_input(const PumpProbeInputPaths& paths);

}  // namespace xpulse::pipelines
