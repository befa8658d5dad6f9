#pragma once
// `xpulse fit`: read a pump-probe stack, fit every pixel, write the maps atomically. The stack is cut into work
// units (bands of rows) that are journaled as they finish, so a killed job resumes (--resume); under MPI the
// units are spread over the ranks, each rank writes a part file and rank 0 the final file (io/row_parts.h).
#include <array>
#include <cstddef>
#include <optional>
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
  fit::FitOptions options;      // options.weights and adu_per_photon are set from the two fields below
  std::string weights = "none";  // none | poisson | the path of a weights dataset [delay, y, x] (fit_weights.h)
  std::optional<double> adu_per_photon;  // poisson weights: data units per photon (default: the file's)
  std::size_t tile_height = 16;
  std::size_t tile_width = 16;
  unsigned threads = 1;
  runtime::Device device = runtime::Device::cpu;  // cpu | cuda | auto
  std::vector<int> gpus;                          // CUDA devices (empty: device 0)
  bool allow_missing = false;  // virtual datasets: missing source files read as fill values
  std::string correct;  // input stage, e.g. jungfrau:PEDESTAL,GAIN[,PHOTON_KEV] (pipelines/jungfrau_input.h)
  bool resume = false;         // continue the job recorded in OUT.journal (an existing journal is otherwise an error)
  bool merge = false;          // MPI: one standalone output instead of virtual datasets over the ranks' part files
  std::size_t unit_rows = 0;   // detector rows per work unit (journal and distribution granularity); 0: automatic
  bool progress = false;
  std::string command_line;
};

struct FitSummary {
  std::string out;
  std::size_t pixels = 0;
  std::size_t fitted = 0;  // pixels handed to the solver (not masked, finite, not flat)
  std::array<std::size_t, fit::kFitStatusCount> status_counts{};
  double median_chi2_reduced = 0.0;  // over converged pixels: data units^2, dimensionless when weighted
  fit::WeightKind weights = fit::WeightKind::none;
  double adu_per_photon = 0.0;       // the gain poisson weights used
  double fit_seconds = 0.0;          // reading + fitting, overlapped
  double total_seconds = 0.0;
  double fits_per_second = 0.0;      // fitted / fit_seconds
  std::string data_units;
  std::string data_layout;           // how the stack was read (ParallelReader::describe)
  std::size_t units = 0;             // work units (bands of rows); each chunk is read once per reading rank
  std::size_t unit_rows = 0;
  std::size_t resumed_units = 0;     // taken from the journal of an earlier, interrupted run
  std::string distribution;          // "1 process" | "3 MPI ranks (units on request from rank 0)"
  std::string backend;               // what ran the fit: "cpu (16 threads)", "cuda: GPU 0 ..."
};

FitSummary fit_pump_probe_file(const FitRequest& request);

}  // namespace xpulse::pipelines
