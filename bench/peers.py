#!/usr/bin/env python3
"""The bench_cmlx workloads written for NumPy and for real MLX (CPU).

    python3 bench/peers.py --impl numpy|mlx [--reps N] [workload...]

Prints one JSON object per line and workload, in bench_cmlx's format:
    {"workload": ..., "impl": "numpy", "reps": N, "times_s": [...],
     "median_s": ..., <derived figures>}
A workload that has no meaning for an implementation (the machine limits,
which bench_cmlx measures in C) is skipped. When mlx.core does not import,
--impl mlx prints a note on stderr and nothing on stdout.

Adding a workload: write a function taking (reps) that returns
(times, fields) and list it in the NUMPY or MLX table below; the name and
the derived field names must match bench_cmlx.c.
"""
import argparse
import functools
import json
import statistics
import sys
import time
import tracemalloc

import numpy as np

CHAIN_NODES = 100_000
DONATION_ELEMS = 1 << 20
DONATION_STEPS = 1000
BIG_ELEMS = 1 << 24
COPY_BYTES = 64 << 20
GEMM_N = 2048
# A sanity check, not an accuracy test: MLX sums float32 in float32 order.
SUM_RTOL = 1e-3


def uniform(n, seed):
    return np.random.default_rng(seed).random(n, dtype=np.float32)


def timed(fn, reps, warmup=1):
    """Runs fn() warmup times untimed, then reps times; returns the times."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def donation_reference():
    want = np.float32(1.0)
    for _ in range(DONATION_STEPS):
        want = want * np.float32(1.0001) + np.float32(0.5)
    return float(want)


def check(ok, what):
    if not ok:
        raise RuntimeError(what)


# ---- NumPy ----


def np_graph_chain(reps):
    # NumPy has no graph: this is the cost of 100k eager scalar adds.
    one = np.float32(1)

    def run():
        x = np.float32(0)
        for _ in range(CHAIN_NODES):
            x = x + one
        check(x == CHAIN_NODES, f"chain sum {x}")

    times = timed(run, reps)
    med = statistics.median(times)
    return times, {"nodes": CHAIN_NODES, "us_per_node": med / CHAIN_NODES * 1e6}


def np_donation_memory(reps):
    # NumPy reports its data buffers to tracemalloc, which gives a peak.
    buf = DONATION_ELEMS * 4
    scale, shift = np.float32(1.0001), np.float32(0.5)
    want = donation_reference()
    times, worst = [], 0
    tracemalloc.start()
    try:
        for _ in range(reps):
            tracemalloc.clear_traces()
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            t0 = time.perf_counter()
            x = np.ones(DONATION_ELEMS, np.float32)
            for _ in range(DONATION_STEPS):
                x = x * scale + shift
            times.append(time.perf_counter() - t0)
            worst = max(worst, tracemalloc.get_traced_memory()[1] - base)
            check(abs(x[0] - want) <= 1e-5 * want, f"chain result {x[0]}, expected {want}")
            del x
    finally:
        tracemalloc.stop()
    return times, {"steps": DONATION_STEPS, "buffer_bytes": buf, "peak_bytes": worst,
                   "peak_buffers": worst / buf}


def np_add_16m(reps):
    a = np.ones(BIG_ELEMS, np.float32)
    b = np.arange(BIG_ELEMS, dtype=np.float32)

    def run():
        c = np.add(a, b)
        check(c[-1] == BIG_ELEMS, "add result")

    times = timed(run, reps)
    return times, {"bytes": 3 * 4 * BIG_ELEMS,
                   "gb_s": 3 * 4 * BIG_ELEMS / statistics.median(times) / 1e9}


def np_copy_bandwidth(reps):
    # One thread: NumPy's own copy loop into already touched pages.
    src = np.full(COPY_BYTES, 0x5A, np.uint8)
    dst = np.zeros(COPY_BYTES, np.uint8)
    times = timed(lambda: np.copyto(dst, src), reps)
    check(np.array_equal(dst, src), "copy result")
    return times, {"threads": 1, "bytes": 2 * COPY_BYTES,
                   "gb_s": 2 * COPY_BYTES / statistics.median(times) / 1e9}


def np_matmul_2048(reps):
    a = uniform(GEMM_N * GEMM_N, 1).reshape(GEMM_N, GEMM_N)
    b = uniform(GEMM_N * GEMM_N, 2).reshape(GEMM_N, GEMM_N)
    want = float(a[5].astype(np.float64) @ b[:, 7].astype(np.float64))

    def run():
        c = a @ b
        check(abs(c[5, 7] - want) <= 1e-4 * want, "matmul result")

    times = timed(run, reps)
    return times, {"n": GEMM_N, "gflop_s": 2 * GEMM_N**3 / statistics.median(times) / 1e9}


def np_sum_16m(reps):
    a = uniform(BIG_ELEMS, 3)
    want = float(a.sum(dtype=np.float64))

    def run():
        s = a.sum()
        check(abs(s - want) <= SUM_RTOL * want, f"sum {s}, expected {want}")

    times = timed(run, reps)
    return times, {"bytes": 4 * BIG_ELEMS,
                   "gb_s": 4 * BIG_ELEMS / statistics.median(times) / 1e9}


SORT_ELEMS = 1 << 20


def np_sort_workload(reps, arg):
    a = uniform(SORT_ELEMS, 5)
    out = []

    def run():
        out[:] = [np.argsort(a) if arg else np.sort(a)]

    times = timed(run, reps)
    v = a[out[0]] if arg else out[0]
    check(bool(np.all(v[1:] >= v[:-1])), "not sorted")
    return times, {"melem_s": SORT_ELEMS / statistics.median(times) / 1e6}


NUMPY = {
    "graph_chain": np_graph_chain,
    "donation_memory": np_donation_memory,
    "add_16m": np_add_16m,
    "copy_bandwidth": np_copy_bandwidth,
    "matmul_2048": np_matmul_2048,
    "sum_16m": np_sum_16m,
    # NumPy's default kinds (its argsort is not stable; MLX's and cmlx's are).
    "sort_1m": lambda reps: np_sort_workload(reps, False),
    "argsort_1m": lambda reps: np_sort_workload(reps, True),
}

# ---- MLX ----

mx = None


def mlx_graph_chain(reps):
    one = mx.array(1.0, dtype=mx.float32)

    def run():
        x = mx.array(0.0, dtype=mx.float32)
        for _ in range(CHAIN_NODES):
            x = x + one
        mx.eval(x)
        return x

    run()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        x = run()
        times.append(time.perf_counter() - t0)
        check(x.item() == CHAIN_NODES, f"chain sum {x.item()}")
    med = statistics.median(times)
    return times, {"nodes": CHAIN_NODES, "us_per_node": med / CHAIN_NODES * 1e6}


def mlx_donation_memory(reps):
    buf = DONATION_ELEMS * 4
    want = donation_reference()
    times, worst = [], 0
    for _ in range(reps):
        mx.clear_cache()
        mx.reset_peak_memory()
        base = mx.get_active_memory()
        t0 = time.perf_counter()
        x = mx.ones((DONATION_ELEMS,), dtype=mx.float32)
        for _ in range(DONATION_STEPS):
            x = x * 1.0001 + 0.5
        mx.eval(x)
        times.append(time.perf_counter() - t0)
        worst = max(worst, mx.get_peak_memory() - base)
        got = x[0].item()
        check(abs(got - want) <= 1e-5 * want, f"chain result {got}, expected {want}")
        del x
    return times, {"steps": DONATION_STEPS, "buffer_bytes": buf, "peak_bytes": worst,
                   "peak_buffers": worst / buf}


def mlx_add_16m(reps):
    a = mx.ones((BIG_ELEMS,), dtype=mx.float32)
    b = mx.arange(BIG_ELEMS, dtype=mx.float32)
    mx.eval(a, b)

    out = []

    def run():
        c = a + b
        mx.eval(c)
        out[:] = [c]
        del c

    times = timed(run, reps)
    check(out[0][-1].item() == BIG_ELEMS, "add result")
    return times, {"bytes": 3 * 4 * BIG_ELEMS,
                   "gb_s": 3 * 4 * BIG_ELEMS / statistics.median(times) / 1e9}


def mlx_matmul_2048(reps):
    an = uniform(GEMM_N * GEMM_N, 1).reshape(GEMM_N, GEMM_N)
    bn = uniform(GEMM_N * GEMM_N, 2).reshape(GEMM_N, GEMM_N)
    want = float(an[5].astype(np.float64) @ bn[:, 7].astype(np.float64))
    a, b = mx.array(an), mx.array(bn)
    mx.eval(a, b)
    out = []

    def run():
        c = a @ b
        mx.eval(c)
        out[:] = [c]

    times = timed(run, reps)
    got = out[0][5, 7].item()
    check(abs(got - want) <= 1e-4 * want, f"matmul result {got}, expected {want}")
    return times, {"n": GEMM_N, "gflop_s": 2 * GEMM_N**3 / statistics.median(times) / 1e9}


def mlx_sum_16m(reps):
    an = uniform(BIG_ELEMS, 3)
    want = float(an.sum(dtype=np.float64))
    a = mx.array(an)
    mx.eval(a)
    out = []

    def run():
        s = mx.sum(a)
        mx.eval(s)
        out[:] = [s]

    times = timed(run, reps)
    got = out[0].item()
    check(abs(got - want) <= SUM_RTOL * want, f"sum {got}, expected {want}")
    return times, {"bytes": 4 * BIG_ELEMS,
                   "gb_s": 4 * BIG_ELEMS / statistics.median(times) / 1e9}


def mlx_sort_workload(reps, arg):
    an = uniform(SORT_ELEMS, 5)
    a = mx.array(an)
    mx.eval(a)
    out = []

    def run():
        r = mx.argsort(a) if arg else mx.sort(a)
        mx.eval(r)
        out[:] = [r]

    times = timed(run, reps)
    r = np.array(out[0])
    v = an[r] if arg else r
    check(bool(np.all(v[1:] >= v[:-1])), "not sorted")
    return times, {"melem_s": SORT_ELEMS / statistics.median(times) / 1e6}


MLX = {
    "graph_chain": mlx_graph_chain,
    "donation_memory": mlx_donation_memory,
    "add_16m": mlx_add_16m,
    "matmul_2048": mlx_matmul_2048,
    "sum_16m": mlx_sum_16m,
    "sort_1m": lambda reps: mlx_sort_workload(reps, False),
    "argsort_1m": lambda reps: mlx_sort_workload(reps, True),
}

# Same defaults as bench_cmlx.c.
DEFAULT_REPS = {
    "graph_chain": 5,
    "donation_memory": 3,
    "add_16m": 20,
    "copy_bandwidth": 20,
    "sgemm_blas": 5,
    "matmul_2048": 5,
    "sum_16m": 20,
    "sort_1m": 15,
    "argsort_1m": 15,
}
# ---- op-library workloads (same names, inputs and byte counts as
# bench_cmlx.c's op_workloads table) ----

OP_SIDE = 4096


# name -> (kind, numpy function, mlx function name, bytes per element, axis)
OPS = {
    "exp_16m": ("unary", np.exp, "exp", 8, None),
    "tanh_16m": ("unary", np.tanh, "tanh", 8, None),
    "sigmoid_16m": ("unary", lambda x: 1 / (1 + np.exp(-x)), "sigmoid", 8, None),
    "erf_16m": ("unary", None, "erf", 8, None),
    "log_16m": ("unary", np.log, "log", 8, None),
    "multiply_16m": ("binary", np.multiply, "multiply", 12, None),
    "maximum_16m": ("binary", np.maximum, "maximum", 12, None),
    "add_transposed_16m": ("binary_t", np.add, "add", 12, None),
    "where_16m": ("where", np.where, "where", 13, None),
    "sum_rows_4096": ("reduce", np.sum, "sum", 4, 1),
    "sum_cols_4096": ("reduce", np.sum, "sum", 4, 0),
    "max_rows_4096": ("reduce", np.max, "max", 4, 1),
    "max_cols_4096": ("reduce", np.max, "max", 4, 0),
    "astype_16m": ("unary", lambda x: x.astype(np.float16), lambda x: x.astype(mx.float16), 6,
                   None),
}


def _op_inputs():
    x = (uniform(OP_SIDE * OP_SIDE, 7) + np.float32(0.1)).reshape(OP_SIDE, OP_SIDE)
    y = uniform(OP_SIDE * OP_SIDE, 8).reshape(OP_SIDE, OP_SIDE)
    return x, y, y > 0.5


def _op_fields(name, times):
    per = OPS[name][3]
    med = statistics.median(times)
    return {"gb_s": per * OP_SIDE * OP_SIDE / med / 1e9,
            "melem_s": OP_SIDE * OP_SIDE / med / 1e6}


def np_op(name, reps):
    kind, fn, _, _, axis = OPS[name]
    x, y, c = _op_inputs()
    xt = x.T if kind == "binary_t" else x
    calls = {"unary": lambda: fn(x), "binary": lambda: fn(x, y), "binary_t": lambda: fn(xt, y),
             "where": lambda: fn(c, x, y), "reduce": lambda: fn(x, axis=axis)}
    times = timed(calls[kind], reps)
    return times, _op_fields(name, times)


def mlx_op(name, reps):
    kind, _, fname, _, axis = OPS[name]
    xn, yn, cn = _op_inputs()
    x, y, c = mx.array(xn), mx.array(yn), mx.array(cn)
    mx.eval(x, y, c)
    f = fname if callable(fname) else getattr(mx, fname)
    xt = mx.transpose(x) if kind == "binary_t" else x
    calls = {"unary": lambda: f(x), "binary": lambda: f(x, y), "binary_t": lambda: f(xt, y),
             "where": lambda: f(c, x, y), "reduce": lambda: f(x, axis=axis)}

    def run():
        mx.eval(calls[kind]())

    times = timed(run, reps)
    return times, _op_fields(name, times)


for _name in OPS:
    if OPS[_name][1] is not None:  # NumPy has no erf (SciPy may be absent)
        NUMPY[_name] = functools.partial(np_op, _name)
    MLX[_name] = functools.partial(mlx_op, _name)
    DEFAULT_REPS[_name] = 10

# MLX's CPU matmul takes seconds at this size: fewer repetitions keep the
# whole run short.
MLX_DEFAULT_REPS = {"matmul_2048": 3}


def main():
    global mx
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--impl", choices=["numpy", "mlx"], required=True)
    p.add_argument("--reps", type=int, default=0, help="timed repetitions (0: defaults)")
    p.add_argument("workloads", nargs="*")
    args = p.parse_args()

    if args.impl == "mlx":
        try:
            import mlx.core as mlx_core
        except ImportError as e:
            print(f"peers.py: mlx.core does not import ({e}); skipping MLX", file=sys.stderr)
            return 0
        mx = mlx_core
        mx.set_default_device(mx.cpu)
        table = MLX
    else:
        table = NUMPY

    names = args.workloads or list(DEFAULT_REPS)
    for name in names:
        if name not in DEFAULT_REPS:
            print(f"peers.py: unknown workload '{name}'", file=sys.stderr)
            return 2
    failed = 0
    for name in names:
        fn = table.get(name)
        if fn is None:
            continue
        defaults = MLX_DEFAULT_REPS if args.impl == "mlx" else {}
        reps = args.reps or defaults.get(name, DEFAULT_REPS[name])
        rec = {"workload": name, "impl": args.impl}
        try:
            times, fields = fn(reps)
            rec.update(reps=len(times), times_s=times, median_s=statistics.median(times))
            rec.update(fields)
        except Exception as e:  # report and go on with the other workloads
            rec.update(reps=0, times_s=[], median_s=None, error=f"{type(e).__name__}: {e}")
            failed += 1
        print(json.dumps(rec), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
