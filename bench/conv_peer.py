"""Real MLX's conv2d on the shapes of bench_conv (CPU stream).

    python3 bench/conv_peer.py [reps]

Prints the same lines as build/release/bench_conv for MLX, so the two can be
read side by side (run them one after the other on an otherwise idle machine).
"""
import statistics
import sys
import time

import mlx.core as mx

N, H, W, C, K = 8, 56, 56, 64, 3


def timed(f, reps):
    f()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return statistics.median(t)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    mx.set_default_device(mx.cpu)
    flops = 2.0 * N * C * C * H * W * K * K
    x = mx.random.normal((N, H, W, C))
    w = mx.random.normal((C, K, K, C)) * 0.1
    for dt, name in ((mx.float32, "float32"), (mx.float16, "float16"), (mx.bfloat16, "bfloat16")):
        xc, wc = x.astype(dt), w.astype(dt)
        mx.eval(xc, wc)
        t = timed(lambda: mx.eval(mx.conv2d(xc, wc, padding=1)), reps)
        print(f"mlx conv2d 3x3 64->64 {name:<10} {flops / t * 1e-9:8.1f} GFLOP/s (median {t * 1e3:.2f} ms)")
    t = timed(lambda: mx.eval(mx.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)), reps)
    print(f"mlx conv_transpose2d s2 float32 {flops / t * 1e-9:8.1f} GFLOP/s useful (median {t * 1e3:.2f} ms)")


if __name__ == "__main__":
    main()
