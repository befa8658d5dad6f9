#!/usr/bin/env bash
# Runs every libFuzzer target of fuzz/ for a bounded time (default 60 s each) with AddressSanitizer and
# UndefinedBehaviorSanitizer, starting from its corpus in fuzz/corpus/NAME and merging what it finds back in
# (commit the corpora; ctest replays them in every build). Crashes are written to build-fuzz/crashes/.
#   scripts/fuzz.sh [SECONDS] [TARGET ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pdb geometry_toml png chunk_decoders run_record_json)
# clang and its libFuzzer runtime are needed only here, so the bootstrap does not install them.
if ! command -v clang++ >/dev/null || ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "ok installed"; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
fi
cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXPULSE_FUZZ=ON -DXPULSE_SANITIZE=address,undefined -DXPULSE_CUDA=OFF \
  -DXPULSE_MPI=OFF -DXPULSE_PYTHON_MODULE=OFF -DXPULSE_BENCH=OFF -DBUILD_TESTING=OFF >/dev/null
cmake --build build-fuzz --parallel "$(nproc)" --target "${targets[@]/#/xpulse_fuzz_}"
mkdir -p build-fuzz/crashes
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  found=build-fuzz/found-$t
  rm -rf "$found" && mkdir -p "$found" "$corpus"
  echo "fuzz: $t for $seconds s"
  if ! build-fuzz/fuzz/xpulse_fuzz_"$t" "$found" "$corpus" -max_total_time="$seconds" -max_len=65536 \
       -rss_limit_mb=4096 -timeout=20 -artifact_prefix=build-fuzz/crashes/"$t"- -print_final_stats=1 2>&1 |
       tail -n 25; then
    status=1
  fi
  # Keep only inputs that add coverage to the committed corpus.
  build-fuzz/fuzz/xpulse_fuzz_"$t" -merge=1 "$corpus" "$found" 2>&1 | tail -n 1
done
exit $status
