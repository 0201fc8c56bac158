#!/usr/bin/env bash
# Installs what is needed, builds cmlx and runs the main job: for now the
# tour example, which builds a graph, evaluates it and prints results with
# timings.
set -euo pipefail
cd "$(dirname "$0")/.."
CMLX_SKIP_PIP=1 bash scripts/install_deps.sh
bash scripts/build.sh release
./build/release/tour "$@"
