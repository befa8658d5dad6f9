#!/usr/bin/env bash
# README command 2: install dependencies, build, run the whole test suite.
#   scripts/test.sh             the whole suite (build/)
#   scripts/test.sh --sanitize  the unit and CLI tests built with AddressSanitizer + UndefinedBehaviorSanitizer
#                               (build-sanitize/; CPU only, no Python module)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if [ "${1:-}" = "--sanitize" ]; then
  cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -g1" \
    -DCMAKE_C_FLAGS_SANITIZE="-O1 -g1" -DXPULSE_SANITIZE=address,undefined -DXPULSE_CUDA=OFF \
    -DXPULSE_PYTHON_MODULE=OFF -DXPULSE_BENCH=OFF -DXPULSE_PYTHON=/usr/bin/python3 >/dev/null
  cmake --build build-sanitize --parallel "$(nproc)" --target xpulse xpulse_unit_tests xpulse_cli_tests
  # Leaks are reported for xpulse's own allocations; libraries that keep global state (Open MPI, HDF5's free
  # lists, OpenBLAS) are suppressed in tests/sanitizer/lsan.supp.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0"
  export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  ctest --test-dir build-sanitize --output-on-failure --parallel "$(nproc)" --timeout 1800 \
    -E "^(python_acceptance|hdf5_conformance|dashboard_browser|postgres_server_start|postgres_server_stop)$"
  exit 0
fi
bash scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 900
