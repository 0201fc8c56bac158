#!/usr/bin/env bash
# Installs what cmlx needs to build and test on Debian: compiler, CMake,
# OpenBLAS/LAPACKE, and the Python peers used by tests and benchmarks.
# Safe to run again; installs only what is missing.
set -euo pipefail

apt_packages=(build-essential cmake ninja-build pkg-config libopenblas-dev liblapacke-dev zlib1g-dev python3 python3-pip clang dataset-fashion-mnist)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if [ "${CMLX_SKIP_PIP:-0}" != "1" ]; then
  py_missing=()
  python3 -c "import numpy" 2>/dev/null || py_missing+=(numpy)
  # Real MLX is a peer for benchmarks and tests where it installs.
  python3 -c "import mlx.core" 2>/dev/null || py_missing+=("mlx[cpu]")
  if [ ${#py_missing[@]} -gt 0 ]; then
    python3 -m pip install -q "${py_missing[@]}" 2>/dev/null ||
      python3 -m pip install -q --break-system-packages "${py_missing[@]}" ||
      echo "note: could not install ${py_missing[*]} from PyPI; peers will be skipped" >&2
  fi
fi
