#!/usr/bin/env bash
# Configures and builds one flavour of cmlx into build/<flavour>:
#   release (default), sanitize (ASan+UBSan), tsan (ThreadSanitizer).
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
case "$flavour" in
  release)  opts=(-DCMAKE_BUILD_TYPE=Release) ;;
  sanitize) opts=(-DCMAKE_BUILD_TYPE=Debug -DCMLX_SANITIZE=ON -DCMLX_BUILD_BENCH=OFF) ;;
  tsan)     opts=(-DCMAKE_BUILD_TYPE=Debug -DCMLX_TSAN=ON -DCMLX_BUILD_BENCH=OFF) ;;
  *) echo "unknown flavour $flavour" >&2; exit 2 ;;
esac
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S . -B "build/$flavour" "${gen[@]}" "${opts[@]}" >/dev/null
cmake --build "build/$flavour" -j "$(nproc)"
