#!/usr/bin/env bash
# Configures and builds xpulse into build/ (Release, Ninja). Python is pinned to Debian's interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DXPULSE_PYTHON=/usr/bin/python3 >/dev/null
cmake --build build --parallel "$(nproc)"
