#pragma once
// `xpulse spi reconstruct`: read SPI images and their pixel geometry (the layout `xpulse simulate spi` writes),
// run M-TIP generations (spi/mtip.h) with a checkpoint after each, and write the density, the model intensity,
// the orientations and the per-generation history (HDF5), plus the density as a CCP4/MRC map. Under MPI each rank
// reads and matches its share of the images (spi/mtip.h); rank 0 keeps the checkpoint and writes the output.
#include <string>
#include <vector>

#include "spi/mtip.h"

namespace xpulse::pipelines {

struct SpiReconstructRequest {
  std::string input;
  std::string out;
  std::string mrc;                  // default: OUT with the extension replaced by .mrc
  spi::MtipOptions options;
  int generations = 20;
  unsigned threads = 1;
  std::string device = "auto";      // auto | cpu | cuda
  bool resume = false;
  bool progress = false;
  std::string command_line;
};

struct SpiReconstructSummary {
  std::size_t images = 0, pixels = 0;
  int generations = 0, resumed_generations = 0;
  double voxel = 0;                 // angstrom
  double edge_resolution = 0;       // angstrom, at the middle of the detector's nearest edge
  std::vector<spi::GenerationRecord> history;
  std::string mrc;
  double seconds = 0;
};

// The M-TIP input of one file: images [N][ny][nx] and per pixel q [ny][nx][3], polarisation and solid angle.
// `images` holds part `part` of `parts` consecutive shares of the N images (all of them by default): images
// first .. first + count - 1.
struct SpiInput {
  std::vector<float> images;
  std::vector<double> q, pixel_factor;
  std::size_t n = 0, ny = 0, nx = 0;
  std::size_t first = 0, count = 0;
  double q_max = 0, edge_resolution = 0;
};
SpiInput read_spi_input(const std::string& path, int part = 0, int parts = 1);
// Fills in.pixel_factor (polarisation times solid angle, relative to the largest solid angle), in.q_max and
// in.edge_resolution from in.q, in.ny, in.nx; InputError naming `source` for a wrong size or a non-finite value.
void derive_pixel_terms(SpiInput& in, const std::vector<double>& polarization, const std::vector<double>& solid_angle,
                        const std::string& source);

SpiReconstructSummary spi_reconstruct_file(const SpiReconstructRequest& request);

}  // namespace xpulse::pipelines
