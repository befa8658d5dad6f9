#!/usr/bin/env bash
# README command 1: install dependencies, build, simulate a pump-probe stack and fit every pixel.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
mkdir -p examples/data
./build/apps/xpulse/xpulse simulate pump-probe --out examples/data/pump_probe.h5 --shape 200x256x256 \
  --delays -1:10 --noise poisson --photons 1000 --seed 1
./build/apps/xpulse/xpulse fit examples/data/pump_probe.h5 --out examples/data/pump_probe_fit.h5
echo "Maps are in examples/data/pump_probe_fit.h5 (h5ls -r examples/data/pump_probe_fit.h5 lists them)."
