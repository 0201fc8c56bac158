"""The matmul shapes of bench_gemm16.c on MLX (CPU), one JSON object per line.

    python3 bench/gemm16_peer.py [--cpu] [--reps N] [--size N] [dtype...]

Times float32, bfloat16 and float16 N x N x N products and prints their
ratios to float32, as bench_gemm16 does. --cpu times process CPU time (all
threads) instead of wall time.
"""
import argparse
import json
import statistics
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--cpu", action="store_true")
    ap.add_argument("dtypes", nargs="*", help="float32, bfloat16, float16 (default all)")
    args = ap.parse_args()
    import mlx.core as mx

    mx.set_default_device(mx.cpu)
    clock = time.process_time if args.cpu else time.perf_counter
    n = args.size
    rng = np.random.default_rng(42)
    a0 = rng.random((n, n), dtype=np.float32) - 0.5
    b0 = rng.random((n, n), dtype=np.float32) - 0.5
    gf = {}
    for name, dt in (("float32", mx.float32), ("bfloat16", mx.bfloat16), ("float16", mx.float16)):
        if args.dtypes and name not in args.dtypes:
            continue
        a = mx.array(a0).astype(dt)
        b = mx.array(b0).astype(dt)
        mx.eval(a, b)
        times = []
        for r in range(-1, max(args.reps, 1)):
            t0 = clock()
            mx.eval(a @ b)
            if r >= 0:
                times.append(clock() - t0)
        med = statistics.median(times)
        gf[name] = 2.0 * n**3 / med * 1e-9
        print(json.dumps({"workload": f"matmul_{n}", "dtype": name, "impl": "mlx",
                          "reps": args.reps, "median_s": med, "gflop_s": round(gf[name], 4),
                          "clock": "cpu" if args.cpu else "wall"}))
    if len(gf) < 3:
        return
    print(json.dumps({"workload": f"matmul_{n}", "impl": "mlx",
                      "bfloat16_over_float32": round(gf["bfloat16"] / gf["float32"], 3),
                      "float16_over_float32": round(gf["float16"] / gf["float32"], 3)}))


if __name__ == "__main__":
    main()
