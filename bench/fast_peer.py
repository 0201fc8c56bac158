"""The bench_fast workloads in real MLX (mlx.core.fast on the CPU), side by side
with cmlx.

    python3 bench/fast_peer.py [--reps N] [--bin build/release/bench_fast]

Runs bench_fast (when the binary exists) and the same workloads in MLX in
one invocation, then prints each workload's median time in both, the
speed-up of cmlx over MLX and cmlx's fraction of the copy bandwidth that
bench_fast measured next to it (median against median, and best against
best). Shapes: rms_norm and layer_norm on
(4096, 4096) with a weight (and bias); rope on (1, 32, 4096, 128) with
dims 128, base 10000; attention decode with q (1, 32, 1, 128) and k, v
(1, 32, 4096, 128), float16.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def mlx_workloads(mx):
    def rnd(shape, dt):
        a = mx.random.normal(shape).astype(dt)
        mx.eval(a)
        return a

    out = {}
    for dt, suf in ((mx.float32, "f32"), (mx.float16, "f16")):
        x, w, b = rnd((4096, 4096), dt), rnd((4096,), dt), rnd((4096,), dt)
        out["rms_norm_" + suf] = lambda x=x, w=w: mx.fast.rms_norm(x, w, 1e-5)
        out["layer_norm_" + suf] = lambda x=x, w=w, b=b: mx.fast.layer_norm(x, w, b, 1e-5)
        r = rnd((1, 32, 4096, 128), dt)
        out["rope_" + suf] = lambda r=r: mx.fast.rope(
            r, 128, traditional=False, base=10000.0, scale=1.0, offset=0)
    q = rnd((1, 32, 1, 128), mx.float16)
    k, v = rnd((1, 32, 4096, 128), mx.float16), rnd((1, 32, 4096, 128), mx.float16)
    out["sdpa_decode_f16"] = lambda: mx.fast.scaled_dot_product_attention(
        q, k, v, scale=128 ** -0.5)
    return out


def time_mlx(reps):
    import mlx.core as mx

    mx.set_default_device(mx.cpu)
    res = {}
    for name, fn in mlx_workloads(mx).items():
        ts = []
        for r in range(reps + 1):
            t0 = time.perf_counter()
            y = fn()
            mx.eval(y)
            dt = time.perf_counter() - t0
            del y
            if r:
                ts.append(dt)
        res[name] = statistics.median(ts)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bin", default=os.path.join(here, "..", "build", "release", "bench_fast"))
    args = ap.parse_args()

    cm = {}
    if os.path.exists(args.bin):
        p = subprocess.run([args.bin, "--json", "--reps", str(args.reps)],
                           capture_output=True, text=True, check=True)
        for line in p.stdout.splitlines():
            rec = json.loads(line)
            if rec.get("impl") == "cmlx":
                cm[rec["workload"]] = rec
    else:
        print(f"({args.bin} not found: MLX only)", file=sys.stderr)
    try:
        ml = time_mlx(args.reps)
    except ImportError:
        print("(mlx not importable: cmlx only)", file=sys.stderr)
        ml = {}

    names = list(cm) or list(ml)
    print(f"{'workload':<18} {'cmlx ms':>9} {'mlx ms':>9} {'speed-up':>9} {'% copy':>7} {'best':>6}")
    ratios = []
    for n in names:
        c = cm.get(n, {}).get("median_s")
        m = ml.get(n)
        frac = best = ""
        if n in cm:
            frac = f"{100 * cm[n]['gb_s'] / cm[n]['roof_gb_s']:.0f}%"
            best = f"{100 * cm[n]['best_gb_s'] / cm[n]['best_roof_gb_s']:.0f}%"
        sp = ""
        if c and m:
            ratios.append(m / c)
            sp = f"{m / c:.2f}x"
        fmt = lambda v: f"{v * 1e3:.2f}" if v else "-"
        print(f"{n:<18} {fmt(c):>9} {fmt(m):>9} {sp:>9} {frac:>7} {best:>6}")
    if ratios:
        g = statistics.geometric_mean(ratios)
        print(f"geometric mean speed-up over MLX: {g:.2f}x")


if __name__ == "__main__":
    main()
