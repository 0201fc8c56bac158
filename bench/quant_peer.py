"""Real MLX's quantized_matmul on the shapes of bench_quant (CPU stream).

    python3 bench/quant_peer.py [reps]

Prints the same lines as build/release/bench_quant for MLX, so the two can be
read side by side (run them one after the other on an otherwise idle machine).
"""
import statistics
import sys
import time

import mlx.core as mx

K, N, MP = 4096, 4096, 512


def timed(f, reps, warm=True):
    if warm:
        f()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return statistics.median(t)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    mx.set_default_device(mx.cpu)
    for dt, name in ((mx.float32, "float32"), (mx.bfloat16, "bfloat16")):
        w = (mx.random.uniform(shape=(N, K)) - 0.5).astype(dt)
        wq, s, b = mx.quantize(w, group_size=64, bits=4)
        mx.eval(wq, s, b)
        x1 = (mx.random.uniform(shape=(1, K)) - 0.5).astype(dt)
        xp = (mx.random.uniform(shape=(MP, K)) - 0.5).astype(dt)
        mx.eval(x1, xp)

        def run(x):
            mx.eval(mx.quantized_matmul(x, wq, s, b, transpose=True, group_size=64, bits=4))

        td = timed(lambda: run(x1), reps * 4)
        # MLX's CPU prefill takes tens of seconds: one cold run is enough.
        tp = timed(lambda: run(xp), 1, warm=False)
        print(f"mlx decode  {name:8s} x(1x{K}) W({N}x{K})^T 4-bit g64: {td * 1e3:8.3f} ms  "
              f"{N * K / 2 / td / 1e9:6.1f} GB/s packed")
        print(f"mlx prefill {name:8s} x({MP}x{K}) W({N}x{K})^T 4-bit g64: {tp * 1e3:8.3f} ms  "
              f"{2 * MP * N * K / tp / 1e9:6.1f} GFLOP/s")


if __name__ == "__main__":
    main()
