#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.c) with clang, ASan and UBSan
# into build/fuzz and runs each for N seconds (default 10) from its seed
# corpus in fuzz/corpus/<format>/. New inputs go to a scratch corpus, not
# the repository. A crash leaves crash-* in build/fuzz/artifacts and makes
# the script fail. Usage: scripts/fuzz.sh [seconds] [format...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
shift || true
formats=("$@")
[ ${#formats[@]} -eq 0 ] && formats=(npy npz safetensors gguf function)
if ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang not found; fuzzing skipped" >&2
  exit 0
fi
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
CC=clang cmake -S . -B build/fuzz "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMLX_FUZZ=ON \
  -DCMLX_BUILD_TESTS=OFF -DCMLX_BUILD_BENCH=OFF >/dev/null
targets=()
for f in "${formats[@]}"; do targets+=("fuzz_$f"); done
cmake --build build/fuzz -j "$(nproc)" --target "${targets[@]}"
mkdir -p build/fuzz/artifacts
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for f in "${formats[@]}"; do
  work=build/fuzz/corpus_$f
  mkdir -p "$work"
  echo "== fuzz_$f: ${seconds}s"
  if ! build/fuzz/fuzz_$f -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=2048 \
      -timeout=10 -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/ "$work" \
      "fuzz/corpus/$f" 2>build/fuzz/fuzz_$f.log; then
    status=1
    tail -n 40 build/fuzz/fuzz_$f.log >&2
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build/fuzz/fuzz_$f.log || true
done
exit $status
