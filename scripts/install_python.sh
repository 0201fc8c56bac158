#!/usr/bin/env bash
# Installs the cmlx Python package (cmlx.core, nn, optimizers, utils) from
# this checkout, editable (scikit-build-core, incremental build in
# build/python/), with what it needs. PYTHON picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

bash scripts/install_deps.sh

pip_install() {
  # Debian's system Python refuses pip installs (PEP 668) unless told.
  "$PYTHON" -m pip install -q "$@" 2>/dev/null ||
    "$PYTHON" -m pip install -q --break-system-packages "$@"
}

missing=()
"$PYTHON" -c "import scikit_build_core" 2>/dev/null || missing+=("scikit-build-core>=0.10")
"$PYTHON" -c "import pytest" 2>/dev/null || missing+=(pytest)
"$PYTHON" -c "import numpy" 2>/dev/null || missing+=(numpy)
if [ ${#missing[@]} -gt 0 ]; then
  pip_install "${missing[@]}"
fi

# No build isolation: the build uses the scikit-build-core installed above
# and the system CMake/Ninja, so it works offline once they are present.
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
pip_install --no-build-isolation -e .

