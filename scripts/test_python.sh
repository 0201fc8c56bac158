#!/usr/bin/env bash
# Builds the cmlx.core Python extension and runs its tests (tests/python).
#   pip install -e . (editable, scikit-build-core, incremental build in
#   build/python/), then pytest. Real MLX, when importable, is used as the
#   reference for comparisons; CMLX_NO_MLX=1 skips them. Extra arguments go
#   to pytest, e.g. scripts/test_python.sh -k indexing.
# PYTHON picks the interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHON=${PYTHON:-python3}

bash scripts/install_python.sh

# Run from the tests directory so the source tree's python/ is not shadowing
# anything and the installed package is what gets tested.
cd tests/python
exec "$PYTHON" -m pytest -q "$@"
