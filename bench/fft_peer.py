"""The FFT workloads of bench_fft.c on NumPy and MLX, one JSON object per line.

    python3 bench/fft_peer.py [--impl numpy|mlx] [--cpu] [--reps N] [workload...]

--cpu times process CPU time (all threads) instead of wall time.
"""
import argparse
import json
import math
import time

import numpy as np

WORKLOADS = [
    ("fft_1024_x1024", "fft", 1024, 1024, -1),
    ("fft_4096_x256", "fft", 256, 4096, -1),
    ("fft_1000_x1000", "fft", 1000, 1000, -1),
    ("fft_4099_x64", "fft", 64, 4099, -1),
    ("fft_axis0_1024", "fft", 1024, 1024, 0),
    ("rfft_4096_x256", "rfft", 256, 4096, -1),
    ("irfft_4096_x256", "irfft", 256, 4096, -1),
    ("fft2_512", "fft2", 512, 512, -1),
    ("fft_1m_x1", "fft", 1, 1 << 20, -1),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", default="numpy", choices=["numpy", "mlx"])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--cpu", action="store_true")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    if args.impl == "mlx":
        import mlx.core as mx

        mx.set_default_device(mx.cpu)
    clock = time.process_time if args.cpu else time.perf_counter
    rng = np.random.default_rng(42)
    for name, kind, rows, cols, axis in WORKLOADS:
        if args.names and name not in args.names:
            continue
        in_cols = cols // 2 + 1 if kind == "irfft" else cols
        x = rng.random((rows, in_cols), dtype=np.float32) - 0.5
        if kind != "rfft":
            x = (x + 1j * (rng.random((rows, in_cols), dtype=np.float32) - 0.5)).astype(
                np.complex64
            )
        if args.impl == "numpy":
            fn = {
                "fft": lambda: np.fft.fft(x, axis=axis),
                "rfft": lambda: np.fft.rfft(x, axis=axis),
                "irfft": lambda: np.fft.irfft(x, n=cols, axis=axis),
                "fft2": lambda: np.fft.fft2(x),
            }[kind]
        else:
            xa = mx.array(x)
            mx.eval(xa)
            f = {
                "fft": lambda: mx.fft.fft(xa, axis=axis),
                "rfft": lambda: mx.fft.rfft(xa, axis=axis),
                "irfft": lambda: mx.fft.irfft(xa, n=cols, axis=axis),
                "fft2": lambda: mx.fft.fft2(xa),
            }[kind]

            def fn(f=f):
                y = f()
                mx.eval(y)
                return y

        fn()
        times = []
        for _ in range(args.reps):
            t0 = clock()
            fn()
            times.append(clock() - t0)
        times.sort()
        med = times[len(times) // 2]
        n = rows * cols
        length = n if kind == "fft2" else (rows if axis == 0 else cols)
        flops = 5.0 * n * math.log2(length) * (0.5 if kind in ("rfft", "irfft") else 1.0)
        print(
            json.dumps(
                {
                    "workload": name,
                    "impl": args.impl,
                    "reps": args.reps,
                    "median_s": med,
                    "gflop_s": round(flops / med * 1e-9, 3),
                    "clock": "cpu" if args.cpu else "wall",
                }
            )
        )


if __name__ == "__main__":
    main()
