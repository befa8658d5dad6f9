#!/usr/bin/env bash
# README command 1: install dependencies, build and install xpulse, simulate a pump-probe stack, fit every pixel,
# turn the fit into a phonon dispersion and the stack into FT-IXS spectra, and draw the figures, all with the
# installed xpulse and xpulse-plot.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
prefix=$(bash scripts/prefix.sh)
export PATH="$prefix/bin:$PATH"
mkdir -p examples/data examples/figures
cd examples/data
xpulse simulate pump-probe --out pump_probe.h5 --shape 200x256x256 --delays -1:10 --noise poisson --photons 1000 \
  --seed 1
xpulse fit pump_probe.h5 --out pump_probe_fit.h5
xpulse spectra pump_probe.h5 --out pump_probe_spectra.h5 --q-bins 60
xpulse dispersion pump_probe_fit.h5 --out pump_probe_dispersion.h5
xpulse-plot all --data pump_probe.h5 --fit pump_probe_fit.h5 --dispersion pump_probe_dispersion.h5 \
  --spectra pump_probe_spectra.h5 --out-dir ../figures
echo "Outputs are in examples/data (h5ls -r FILE lists them), figures in examples/figures; xpulse is installed in $prefix."
