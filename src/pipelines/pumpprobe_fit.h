#pragma once
// `xpulse fit`: read a pump-probe stack, fit every pixel, write the maps atomically.
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "fit/fit_problem.h"
#include "fit/fit_status.h"
#include "runtime/devices.h"

namespace xpulse::pipelines {

struct FitRequest {
  std::string input;
  std::string out;
  std::string data_path = "/entry_1/data_1/data";
  std::string delays_path = "/entry_1/data_1/delay";
  std::string mask_path = "/entry_1/data_1/mask";
  bool mask_required = false;  // true when the user named --mask: then it must exist
  fit::FitOptions options;
  std::size_t tile_height = 16;
  std::size_t tile_width = 16;
  unsigned threads = 1;
  runtime::Device device = runtime::Device::cpu;  // cpu | cuda | auto
  std::vector<int> gpus;                          // CUDA devices (empty: device 0)
  bool allow_missing = false;  // virtual datasets: missing source files read as fill values
  bool progress = false;
  std::string command_line;
};

struct FitSummary {
  std::string out;
  std::size_t pixels = 0;
  std::size_t fitted = 0;  // pixels handed to the solver (not masked, finite, not flat)
  std::array<std::size_t, fit::kFitStatusCount> status_counts{};
  double median_chi2_reduced = 0.0;  // over converged pixels, data units^2
  double fit_seconds = 0.0;          // reading + fitting, overlapped
  double total_seconds = 0.0;
  double fits_per_second = 0.0;      // fitted / fit_seconds
  std::string data_units;
  std::string data_layout;           // how the stack was read (ParallelReader::describe)
  std::size_t bands = 0;             // row bands read (each chunk is read once overall)
  std::string backend;               // what ran the fit: "cpu (16 threads)", "cuda: GPU 0 ..."
};

FitSummary fit_pump_probe_file(const FitRequest& request);

}  // namespace xpulse::pipelines
