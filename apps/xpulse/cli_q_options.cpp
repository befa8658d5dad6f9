// Momentum-binning options shared by `xpulse dispersion` and `xpulse spectra`.
#include "cli.h"
#include "pipelines/q_coordinates.h"

namespace xpulse::cli {

void add_q_binning_options(CLI::App* command, pipelines::QBinningRequest& r) {
  command->add_option("--geometry", r.geometry_toml,
                      "TOML geometry file overriding the input's: [detector] distance, pixel sizes [m], beam centre "
                      "[pixel], tilt [deg]; [source] energy [eV]; [sample] cell, orientation or ub")
      ->check(CLI::ExistingFile);
  command->add_option("--q-bins", r.q_bins, "Number of momentum bins")->capture_default_str();
  command->add_option("--q-max", r.q_max, "Upper edge of the bins in 1/Angstrom (default: largest q of the pixels used)");
  command->add_option("--path", r.path,
                      "Bin along a Brillouin-zone path instead of |q - G|: labels G X Y Z M R or h,k,l points, e.g. "
                      "\"G X M G R\"");
  command->add_option("--path-width", r.path_width,
                      "Largest distance from the path for a pixel to count, 1/Angstrom (default: 5% of the shortest "
                      "reciprocal basis vector)");
}

}  // namespace xpulse::cli
