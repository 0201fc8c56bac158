#!/usr/bin/env python3
"""value_and_grad against the forward pass: a 3-layer MLP (784-512-512-10,
ReLU, batch 256, cross-entropy loss), on cmlx and on real MLX (CPU) in one
run. Prints the median time of the forward loss and of value_and_grad (both
evaluated), and their ratio (target: value_and_grad <= 3.5x the forward).

    python3 bench/bench_grad.py [--reps 30]
"""
import argparse
import os
import statistics
import time


def run(mx, nn, reps):
    mx.random.seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    mx.eval(model.parameters())
    x = mx.random.normal((256, 784))
    y = mx.random.randint(0, 10, (256,))
    mx.eval(x, y)

    def loss(m):
        return nn.losses.cross_entropy(m(x), y, reduction="mean")

    vag = nn.value_and_grad(model, loss)

    def fwd():
        mx.eval(loss(model))

    def both():
        v, g = vag(model)
        mx.eval(v, g)

    times = {}
    for name, f in (("forward", fwd), ("value_and_grad", both)):
        f()  # warm-up
        t = []
        for _ in range(reps):
            t0 = time.perf_counter()
            f()
            t.append(time.perf_counter() - t0)
        times[name] = statistics.median(t)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()
    print(f"MLP 784-512-512-10, batch 256; load average {os.getloadavg()[0]:.2f}")
    impls = []
    import cmlx.core as cx
    import cmlx.nn as cnn
    impls.append(("cmlx", cx, cnn))
    try:
        import mlx.core as mx
        import mlx.nn as mnn
        mx.set_default_device(mx.cpu)
        impls.append(("mlx", mx, mnn))
    except ImportError:
        print("mlx: not installed, skipped")
    for name, mx, nn in impls:
        t = run(mx, nn, args.reps)
        ratio = t["value_and_grad"] / t["forward"]
        verdict = "PASS" if ratio <= 3.5 else "MISS"
        print(f"  {name:5s} forward {t['forward'] * 1e3:8.3f} ms  value_and_grad "
              f"{t['value_and_grad'] * 1e3:8.3f} ms  ratio {ratio:.2f}x"
              + (f"  (target <= 3.5x: {verdict})" if name == "cmlx" else ""))


if __name__ == "__main__":
    main()
