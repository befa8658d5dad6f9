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
  std::string weights;         // per-point weights [delay, y, x] like the data, or "" for none
};

struct PumpProbeInput {
  std::size_t n_delay = 0, ny = 0, nx = 0;
  std::vector<double> delays_ps;
  std::vector<std::uint8_t> mask;  // [ny * nx], 1 = bad; empty when the file has none
  std::string data_units;          // the data's "units" attribute, "counts" when absent
  // Detector gain, data units per photon: the data's "adu_per_photon" attribute, else the CXI detector's
  // adu_per_photon dataset, else 1 when the data are in photons; 0 when the file does not say.
  double adu_per_photon = 0.0;
};

// Throws InputError naming the file and dataset: missing, wrong rank or type, empty, mismatched delays, mask or
// weights.
PumpProbeInput open_pump_probe_input(const PumpProbeInputPaths& paths);

}  // namespace xpulse::pipelines
