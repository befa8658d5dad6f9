#!/usr/bin/env bash
# README command 1: install dependencies, build, simulate a pump-probe stack, fit every pixel, turn the fit into
# a phonon dispersion and the stack into FT-IXS spectra, and draw the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
mkdir -p examples/data examples/figures
x=./build/apps/xpulse/xpulse
$x simulate pump-probe --out examples/data/pump_probe.h5 --shape 200x256x256 --delays -1:10 --noise poisson \
  --photons 1000 --seed 1
$x fit examples/data/pump_probe.h5 --out examples/data/pump_probe_fit.h5
$x spectra examples/data/pump_probe.h5 --out examples/data/pump_probe_spectra.h5 --q-bins 60
$x dispersion examples/data/pump_probe_fit.h5 --out examples/data/pump_probe_dispersion.h5
/usr/bin/python3 python/bin/xpulse-plot all --data examples/data/pump_probe.h5 \
  --fit examples/data/pump_probe_fit.h5 --dispersion examples/data/pump_probe_dispersion.h5 \
  --spectra examples/data/pump_probe_spectra.h5 --out-dir examples/figures
echo "Outputs are in examples/data (h5ls -r FILE lists them), figures in examples/figures."
