#!/bin/bash
# compute-sanitizer memcheck on a small CUDA fit, SFX simulation and peak search. Exit 77 (skipped) without a
# CUDA device or the sanitizer.
set -euo pipefail
xpulse=$1
sanitizer=$(command -v compute-sanitizer || true)
[ -z "$sanitizer" ] && [ -x /usr/local/cuda/bin/compute-sanitizer ] && sanitizer=/usr/local/cuda/bin/compute-sanitizer
if [ -z "$sanitizer" ]; then echo "skipped: compute-sanitizer not found"; exit 77; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$xpulse" simulate pump-probe --out "$dir/s.h5" --shape 120x24x40 --seed 3 >/dev/null
if ! "$xpulse" fit "$dir/s.h5" --out "$dir/probe.h5" --device cuda >/dev/null 2>"$dir/err"; then
  echo "skipped: $(cat "$dir/err")"; exit 77
fi
"$sanitizer" --tool memcheck --leak-check full --error-exitcode 1 \
  "$xpulse" fit "$dir/s.h5" --out "$dir/f.h5" --device cuda --model damped-cosine
"$sanitizer" --tool memcheck --error-exitcode 1 \
  "$xpulse" fit "$dir/s.h5" --out "$dir/g.h5" --device cuda --model damped-cosine-exp
# The SFX renderer and peak finder (serial crystallography stills of the test structure).
pdb=$(dirname "$0")/../data/2cex.pdb
"$sanitizer" --tool memcheck --leak-check full --error-exitcode 1 \
  "$xpulse" simulate sfx --pdb "$pdb" --out "$dir/sfx.cxi" --frames 6 --pixels 128x160 --device cuda
"$sanitizer" --tool memcheck --leak-check full --error-exitcode 1 \
  "$xpulse" sfx peaks "$dir/sfx.cxi" --out "$dir/peaks.cxi" --threshold 100 --device cuda
