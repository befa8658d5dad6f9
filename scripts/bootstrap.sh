#!/usr/bin/env bash
# Installs every Debian package xpulse needs to build, install, test and benchmark, and the dashboard's npm
# packages. scripts/build.sh then builds and installs xpulse itself.
# Idempotent; runs `apt-get update` at most once per invocation and only when something is missing.
# `--bench-peers` also installs the peers of the comparison benchmarks (DIALS).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  help2man                               # the man pages, from each command's --help
  python3-pip python3-setuptools python3-wheel   # pip install --no-build-isolation . (pyproject.toml)
  libhdf5-dev hdf5-tools                 # serial, thread-safe libhdf5 + h5dump/h5ls
  zlib1g-dev liblz4-dev libzstd-dev libblosc-dev   # in-process chunk decoders (deflate, LZ4, Blosc, bitshuffle)
  libdeflate-dev libisal-dev             # deflate: libdeflate inflates chunks; ISA-L is its peer in bench_inflate
  hdf5-filter-plugin hdf5-filter-plugin-blosc-serial bitshuffle python3-hdf5plugin  # HDF5 plugins (bitshuffle: its own package): reference path and tests
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libeigen3-dev libopenblas-dev libfftw3-dev
  gemmi-dev libstb-dev python3-gemmi     # MTZ output of sfx merge (gemmi's writer needs stb_sprintf); read back in tests
  libxrl-dev                             # xraylib: atomic form factors (SPI simulation)
  libpng-dev                             # grey-level images as ptychography test objects
  libsqlite3-dev sqlite3                 # the run records (runtime/run_store.h), embedded
  libpq-dev postgresql                   # the shared run store (libpq) and the server its tests start
  libcpp-httplib-dev                     # xpulse serve (the run dashboard)
  openmpi-bin libopenmpi-dev             # MPI distribution (mpirun; tests run 2 and 3 ranks)
  pybind11-dev python3-dev               # the Python module, built against Debian's /usr/bin/python3
  python3 python3-numpy python3-scipy python3-h5py python3-pytest python3-matplotlib
  chromium                               # the dashboard's browser test (driven by playwright-core, headless)
)
# Node.js and npm build the dashboard's front end (web/); a Node.js that already brings npm is kept.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
# Peers that only the comparison benchmarks run (bench/compare_dials.py): about 200 packages, so not by default.
if [ "${1:-}" = "--bench-peers" ]; then
  packages+=(dials)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bootstrap: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "bootstrap: all packages present"
fi

# The dashboard's npm packages (uPlot, embedded into the binary; playwright-core, for its browser test), exactly
# as web/package-lock.json pins them.
repo="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -f "$repo/web/node_modules/.package-lock.json" ] ||
   [ "$repo/web/package-lock.json" -nt "$repo/web/node_modules/.package-lock.json" ]; then
  echo "bootstrap: npm ci in web/"
  (cd "$repo/web" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Earlier versions of this script pointed Debian's Python and PATH into a source tree; the install replaces both.
for site in "$(/usr/bin/python3 -c 'import site; print(site.getusersitepackages())')" /usr/local/lib/python3*/dist-packages; do
  if [ -f "$site/xpulse.pth" ]; then rm -f "$site/xpulse.pth"; echo "bootstrap: removed $site/xpulse.pth"; fi
done
for link in /usr/local/bin/xpulse-plot "$HOME/.local/bin/xpulse-plot"; do
  if [ -L "$link" ]; then rm -f "$link"; echo "bootstrap: removed the link $link"; fi
done
