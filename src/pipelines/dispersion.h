#pragma once
// `xpulse dispersion`: phonon frequencies of the well-fitted pixels of a fit, binned along momentum transfer.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "phonon/fit_quality.h"
#include "pipelines/q_coordinates.h"

namespace xpulse::pipelines {

struct DispersionRequest {
  std::string fit_file;
  std::string data_file;   // geometry (and truth) source; empty: the fit's recorded input file
  std::string out;
  QBinningRequest binning;  // its geometry_hdf5 is filled from data_file
  int harmonic = 2;         // f_phonon = f_fit / harmonic
  phonon::FitQuality quality;
  unsigned threads = 1;
  std::string command_line;
};

struct DispersionSummary {
  std::string out;
  std::string geometry_source;
  std::string coordinate;      // "|q - G|", "|q|" or "path"
  std::size_t pixels = 0;
  std::size_t used = 0;        // pixels that pass the quality thresholds (and lie on the path)
  std::size_t bins = 0;
  std::size_t populated_bins = 0;
  double q_hi = 0.0;           // upper bin edge, 1/Angstrom
  double frequency_min = 0.0;  // over populated bins, THz
  double frequency_max = 0.0;
  bool truth = false;          // the input's /truth was binned alongside
  double seconds = 0.0;
};

DispersionSummary dispersion_file(const DispersionRequest& request);

// The per-pixel fit results a dispersion needs, each [ny * nx].
struct FitResultView {
  std::span<const float> frequency, frequency_err, amplitude, amplitude_err, chi2;  // THz, THz, data units, ., .
  std::span<const std::uint8_t> status;
};

struct Dispersion {
  phonon::BinEdges edges;
  phonon::BinnedDispersion binned;
  std::vector<std::uint8_t> used;    // per pixel: passed the quality cuts and has a finite coordinate
  std::vector<double> phonon;        // per pixel: f_fit / harmonic (THz), NaN where the fit has none
  std::vector<double> phonon_err;    // its standard error
  std::vector<double> coordinate;    // per pixel: the binning coordinate of the used pixels, NaN elsewhere
  // The truth binned like the measurement (same pixels, same weights); empty without a truth map.
  std::vector<double> truth_frequency;
};

// Selects the pixels that pass `quality`, converts to phonon frequencies and bins them along q's coordinate.
// truth_phonon (per pixel, THz) may be empty. Throws InvalidArgument/InputError with the command line's messages.
Dispersion compute_dispersion(const FitResultView& fit, const QCoordinates& q, const QBinningRequest& binning,
                              int harmonic, const phonon::FitQuality& quality,
                              std::span<const double> truth_phonon = {});

}  // namespace xpulse::pipelines
