#!/usr/bin/env bash
# README command 2: install dependencies, build, run the whole test suite, then the unit and CLI tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh                the whole suite (build/), then the sanitizer run (build-sanitize/)
#   scripts/test.sh --no-sanitize  the whole suite only
#   scripts/test.sh --sanitize     the sanitizer run only: unit tests, CLI tests and fuzz corpora (CPU only, no
#                                  Python module)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
case "$mode" in all | --sanitize | --no-sanitize) ;; *) echo "usage: scripts/test.sh [--sanitize|--no-sanitize]" >&2; exit 2 ;; esac
bash scripts/bootstrap.sh

if [ "$mode" != --sanitize ]; then
  bash scripts/build.sh
  ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 900
fi

if [ "$mode" != --no-sanitize ]; then
  cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -g1" \
    -DCMAKE_C_FLAGS_SANITIZE="-O1 -g1" -DXPULSE_SANITIZE=address,undefined -DXPULSE_CUDA=OFF \
    -DXPULSE_PYTHON_MODULE=OFF -DXPULSE_BENCH=OFF -DXPULSE_PYTHON=/usr/bin/python3 >/dev/null
  cmake --build build-sanitize --parallel "$(nproc)" --target xpulse xpulse_unit_tests xpulse_cli_tests \
    xpulse_fuzz_pdb xpulse_fuzz_geometry_toml xpulse_fuzz_png xpulse_fuzz_chunk_decoders xpulse_fuzz_run_record_json
  # Leaks are checked in every process but MPI ranks, where Open MPI's process-lifetime allocations are
  # reported one frame deep from unknown modules, beyond any suppression (tests/sanitizer/lsan.supp for the rest).
  export ASAN_OPTIONS="abort_on_error=0:detect_stack_use_after_return=0"
  export OMPI_MCA_mca_base_env_list="ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:detect_stack_use_after_return=0"
  export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  # The Python suites need the uninstrumented module; the long science acceptance runs repeat, at full size,
  # code paths that smaller CLI tests exercise here (tests/sanitizer/excluded.txt says which and why).
  excluded="^($(grep -v '^#' tests/sanitizer/excluded.txt | paste -sd'|'))$"
  ctest --test-dir build-sanitize --output-on-failure --parallel "$(nproc)" --timeout 900 -E "$excluded"
fi
