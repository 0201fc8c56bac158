#!/usr/bin/env python3
"""The training step of examples/char_lm.py (4 layers, d=256, 4 heads,
context 128, batch 32: AdamW, compiled step) on cmlx and on real MLX in one
run: milliseconds per step of each and their ratio.

    python3 bench/bench_char_lm.py [--steps 5] [--warmup 2] [--impl cmlx,mlx]

Each implementation runs in its own process; the first --warmup steps (the
compilation and first allocations) are not timed, the median of the rest is
reported. The machine's load average is printed because a shared machine
makes single runs noisy.
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ["--layers", "4", "--dims", "256", "--heads", "4", "--context", "128",
          "--batch-size", "32"]


def worker(impl, steps, warmup):
    """Runs in the child process: prints 'ms/step <median> loss <last>'."""
    sys.path.insert(0, str(ROOT / "examples"))
    import char_lm

    args = char_lm.parse_args(CONFIG + ["--steps", str(warmup + steps)])
    mx, nn, optim = char_lm.import_framework(impl == "mlx")
    corpus = char_lm.Corpus(args.data)
    model = char_lm.init_model(mx, nn, args, len(corpus.chars))
    times = []
    losses = char_lm.train(mx, nn, optim, model, corpus, args, log=None, step_times=times)
    timed = sorted(times[warmup:])
    print(f"ms/step {1000 * timed[len(timed) // 2]:.2f} loss {losses[-1]:.4f}")


def run(impl, args):
    cmd = [sys.executable, __file__, "--worker", impl, "--steps", str(args.steps),
           "--warmup", str(args.warmup)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = [l for l in p.stdout.splitlines() if l.startswith("ms/step ")]
    if p.returncode != 0 or not line:
        print(f"{impl}: failed\n{p.stdout[-2000:]}", file=sys.stderr)
        return None
    fields = line[-1].split()
    return float(fields[1]), float(fields[3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--impl", default="cmlx,mlx")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.steps, args.warmup)
    res = {impl: run(impl, args) for impl in args.impl.split(",")}
    print(f"char_lm training step (4 layers, d=256, context 128, batch 32), "
          f"median of {args.steps} steps after {args.warmup}, load average {os.getloadavg()[0]:.2f}")
    for impl, r in res.items():
        if r:
            print(f"  {impl:5s} {r[0]:9.1f} ms/step  loss after {args.warmup + args.steps} steps {r[1]:.4f}")
    if res.get("cmlx") and res.get("mlx"):
        print(f"  cmlx / mlx time: {res['cmlx'][0] / res['mlx'][0]:.3f}x (target <= 0.5x)")


if __name__ == "__main__":
    main()
