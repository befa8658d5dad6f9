#!/usr/bin/env bash
# Configures and builds xpulse in build/ (Release, Ninja; Python pinned to Debian's interpreter), then installs it
# (cmake --install) into the prefix scripts/prefix.sh names: the binary, libxpulse, the CUDA module, the public
# headers with the CMake package and pkg-config file, the Python package and xpulse-plot, the man pages.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(bash scripts/prefix.sh)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DXPULSE_PYTHON=/usr/bin/python3 \
  -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build build --parallel "$(nproc)"
cmake --install build >/dev/null
if [ "$(id -u)" -eq 0 ]; then ldconfig; fi
echo "build: installed into $prefix (bin/xpulse, bin/xpulse-plot, the Python package, include/xpulse, man pages)"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "build: note: add $prefix/bin to PATH" ;; esac
