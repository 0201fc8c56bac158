#!/usr/bin/env python3
"""Fashion-MNIST training (examples/fashion_mnist.py) on cmlx and on real MLX
in one run: seconds per epoch of each and their ratio.

    python3 bench/bench_training.py [--epochs 1] [--model mlp|cnn]

Each implementation runs in its own process; the machine's load average is
printed because a shared machine makes single runs noisy.
"""
import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "fashion_mnist.py"


def run(impl, args):
    cmd = [sys.executable, str(EXAMPLE), "--epochs", str(args.epochs), "--model", args.model]
    if impl == "mlx":
        cmd.append("--mlx")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = p.stdout.replace("\r", "\n")
    epochs = [float(m) for m in re.findall(r"^epoch \d+: ([0-9.]+) s", out, re.M)]
    acc = re.search(r"test accuracy: ([0-9.]+)", out)
    if p.returncode != 0 or not epochs:
        print(f"{impl}: failed\n{out[-2000:]}", file=sys.stderr)
        return None
    return sorted(epochs)[len(epochs) // 2], float(acc.group(1)) if acc else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    ap.add_argument("--impl", default="cmlx,mlx")
    args = ap.parse_args()
    res = {impl: run(impl, args) for impl in args.impl.split(",")}
    print(f"fashion-mnist {args.model}, {args.epochs} epoch(s), load average "
          f"{os.getloadavg()[0]:.2f}")
    for impl, r in res.items():
        if r:
            print(f"  {impl:5s} {r[0]:8.2f} s/epoch  test accuracy {r[1]:.4f}")
    if res.get("cmlx") and res.get("mlx"):
        print(f"  cmlx / mlx time: {res['cmlx'][0] / res['mlx'][0]:.3f}x (target <= 0.5x)")


if __name__ == "__main__":
    main()
