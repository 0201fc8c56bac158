#!/usr/bin/env bash
# Installs what is needed (system packages, the Fashion-MNIST dataset, the
# cmlx Python package) and runs the main job: an MLP trained on
# Fashion-MNIST for 3 epochs with cmlx, printing progress and the final
# test accuracy. Extra arguments go to examples/fashion_mnist.py
# (e.g. --model cnn --epochs 5).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/install_python.sh
exec "${PYTHON:-python3}" examples/fashion_mnist.py "$@"
