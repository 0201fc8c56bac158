#!/usr/bin/env python3
"""Python-binding benchmark: cmlx.core against real MLX (mlx.core) in one run.

    python3 bench/bench_python.py [--rounds N] [--only NAME] [--json FILE]

Both modules are imported into this one process and every workload runs on
both with the same code and the same timer; their repetitions alternate
(cmlx, MLX, cmlx, MLX, ...) so that a burst of load from elsewhere on the
machine hits both alike. Each repetition times a batch of calls with
time.perf_counter_ns and divides by the batch size; the table shows the
median over the repetitions. The machine's load average is printed before
and after.

Workloads: the binding's cost per op while only building the graph
(`a + b` and friends on 4-element float32 arrays, no eval), `mx.eval` of a
one-op graph, and conversions of a 64 MiB float32 array between NumPy and
the array type, judged against the machine's copy bandwidth measured in the
same run (bench_cmlx's copy_bandwidth when build/release/bench_cmlx exists,
plus NumPy copies into touched pages, one thread and one per core).
"""
import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH_BIN = ROOT / "build" / "release" / "bench_cmlx"
MIB64 = 64 << 20
N_BIG = MIB64 // 4  # float32 elements in 64 MiB


def import_impls():
    impls = {}
    import cmlx.core as cmx
    impls["cmlx"] = cmx
    try:
        import mlx.core as mmx
        mmx.set_default_device(mmx.cpu)
        impls["mlx"] = mmx
    except Exception as e:  # noqa: BLE001 - any import failure means no peer
        print(f"note: mlx.core not importable ({e}); MLX columns are empty")
    return impls


# ---- workloads ----
# Each make_* takes the module and returns (fn, calls): fn() runs `calls`
# operations; its time / calls is one repetition's figure.

BATCH = 1000  # calls per timed batch for the per-op workloads


def small(mx):
    a = mx.array([1.0, 2.0, 3.0, 4.0], dtype=mx.float32)
    b = mx.array([0.5, 0.25, 0.125, 2.0], dtype=mx.float32)
    mx.eval(a, b)
    return a, b


def make_add(mx):
    a, b = small(mx)

    def fn():
        for _ in range(BATCH):
            c = a + b  # noqa: F841 - the result is dropped each time, as in a loop body
    return fn, BATCH


def make_mul_scalar(mx):
    a, _ = small(mx)

    def fn():
        for _ in range(BATCH):
            c = a * 2.0  # noqa: F841
    return fn, BATCH


def make_exp(mx):
    a, _ = small(mx)
    exp = mx.exp

    def fn():
        for _ in range(BATCH):
            c = exp(a)  # noqa: F841
    return fn, BATCH


def make_slice(mx):
    a, _ = small(mx)

    def fn():
        for _ in range(BATCH):
            c = a[1:]  # noqa: F841
    return fn, BATCH


def make_reshape(mx):
    a, _ = small(mx)

    def fn():
        for _ in range(BATCH):
            c = a.reshape(2, 2)  # noqa: F841
    return fn, BATCH


def make_eval1(mx):
    a, b = small(mx)
    ev = mx.eval
    n = 500

    def fn():
        for _ in range(n):
            ev(a + b)
    return fn, n


def big_np():
    x = np.arange(N_BIG, dtype=np.float32)
    x *= 0.5
    return x


def make_to_numpy(mx):
    x = mx.array(big_np())
    mx.eval(x)

    def fn():
        y = np.array(x)
        del y
    return fn, 1


def make_from_numpy(mx):
    src = big_np()

    def fn():
        y = mx.array(src)
        mx.eval(y)  # MLX arrays made from NumPy are evaluated; no-op then
        del y
    return fn, 1


def make_asarray(mx):
    x = mx.array(big_np())
    mx.eval(x)

    def fn():
        y = np.asarray(x)
        del y
    return fn, 1


def make_memoryview(mx):
    x = mx.array(big_np())
    mx.eval(x)

    def fn():
        m = memoryview(x)
        m.release()
    return fn, 1


def zero_copy(mx, how):
    """Whether `how` of an evaluated array shares the array's memory: two
    conversions of the same array, both alive, see the same data pointer
    only when neither is a copy. None when the conversion fails."""
    x = mx.array(np.arange(1024, dtype=np.float32))
    mx.eval(x)
    try:
        if how == "asarray":
            p1, p2 = np.asarray(x), np.asarray(x)
        elif how == "memoryview":
            p1, p2 = np.asarray(memoryview(x)), np.asarray(memoryview(x))
        elif how == "np.array":
            p1, p2 = np.array(x), np.array(x)
        else:  # mx.array(np_array): is the array's memory the NumPy buffer?
            src = np.arange(1024, dtype=np.float32)
            y = mx.array(src)
            mx.eval(y)
            return np.asarray(y).ctypes.data == src.ctypes.data
        return p1.ctypes.data == p2.ctypes.data
    except Exception:  # noqa: BLE001
        return None


# name, maker, what it does, target kind
WORKLOADS = [
    ("add", make_add, "c = a + b (4 x f32, no eval)", "overhead"),
    ("mul_scalar", make_mul_scalar, "c = a * 2.0", "context"),
    ("exp", make_exp, "c = mx.exp(a)", "context"),
    ("slice", make_slice, "c = a[1:]", "context"),
    ("reshape", make_reshape, "c = a.reshape(2, 2)", "context"),
    ("eval_add", make_eval1, "mx.eval(a + b)", "eval"),
    ("to_numpy", make_to_numpy, "np.array(x), 64 MiB f32", "bandwidth"),
    ("from_numpy", make_from_numpy, "mx.array(np_x), 64 MiB f32", "bandwidth"),
    ("asarray", make_asarray, "np.asarray(x), 64 MiB f32", "zerocopy"),
    ("memoryview", make_memoryview, "memoryview(x), 64 MiB f32", "zerocopy"),
]
ZC_KIND = {"to_numpy": "np.array", "from_numpy": "mx.array", "asarray": "asarray",
           "memoryview": "memoryview"}
DEFAULT_ROUNDS = {"overhead": 101, "context": 41, "eval": 41, "bandwidth": 15, "zerocopy": 15}


def run_workload(name, maker, impls, rounds):
    """Alternating repetitions; returns ({impl: [wall seconds per call, ...]},
    {impl: [process CPU seconds per call, ...]})."""
    fns = {}
    for impl, mx in impls.items():
        fns[impl] = maker(mx)
        fns[impl][0]()  # warm-up (first-call caches, allocator)
    times = {impl: [] for impl in impls}
    cpu = {impl: [] for impl in impls}
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for impl, (fn, calls) in fns.items():
                c0 = time.process_time_ns()
                t0 = time.perf_counter_ns()
                fn()
                t1 = time.perf_counter_ns()
                c1 = time.process_time_ns()
                times[impl].append((t1 - t0) * 1e-9 / calls)
                cpu[impl].append((c1 - c0) * 1e-9 / calls)
    finally:
        if gc_was:
            gc.enable()
    return times, cpu


# ---- the machine's copy bandwidth ----

def copy_bandwidth_c(binary):
    """bench_cmlx copy_bandwidth (multi-threaded memcpy / streaming stores
    in C), or None."""
    if not binary.exists():
        return None
    try:
        out = subprocess.run([str(binary), "--reps", "15", "copy_bandwidth"],
                             capture_output=True, text=True, timeout=120).stdout
        for line in out.splitlines():
            rec = json.loads(line)
            if rec.get("workload") == "copy_bandwidth" and "gb_s" in rec:
                return rec
    except Exception:  # noqa: BLE001
        return None
    return None


def copy_bandwidth_numpy(threads, reps=15):
    """np.copyto of 64 MiB into touched pages, split over `threads` threads
    (NumPy releases the GIL for the copy). GB/s read + written."""
    src = big_np()
    dst = np.empty_like(src)
    dst.fill(1.0)
    bounds = np.linspace(0, N_BIG, threads + 1).astype(int)
    # page-aligned slices (4096 B = 1024 floats)
    bounds = [int(b) // 1024 * 1024 for b in bounds[:-1]] + [N_BIG]

    def part(i):
        np.copyto(dst[bounds[i]:bounds[i + 1]], src[bounds[i]:bounds[i + 1]])

    times = []
    for r in range(reps + 1):
        if threads == 1:
            t0 = time.perf_counter_ns()
            part(0)
            t1 = time.perf_counter_ns()
        else:
            ts = [threading.Thread(target=part, args=(i,)) for i in range(threads)]
            t0 = time.perf_counter_ns()
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            t1 = time.perf_counter_ns()
        if r:
            times.append((t1 - t0) * 1e-9)
    return 2 * MIB64 / statistics.median(times) / 1e9, 2 * MIB64 / min(times) / 1e9


def numpy_own_copy(reps=15):
    """np.array(ndarray) of 64 MiB: NumPy copying into memory it has just
    allocated (page faults included), the most np.array(x) of any
    buffer-exporting object can do. GB/s read + written, median."""
    src = big_np()
    times = []
    for r in range(reps + 1):
        t0 = time.perf_counter_ns()
        y = np.array(src)
        t1 = time.perf_counter_ns()
        del y
        if r:
            times.append((t1 - t0) * 1e-9)
    return 2 * MIB64 / statistics.median(times) / 1e9


# ---- table ----

def fmt_time(s):
    if s is None:
        return "-"
    if s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.2f} us"
    return f"{s * 1e3:.2f} ms"


def spread(ts):
    """Interquartile range as a share of the median: how noisy the samples were."""
    if len(ts) < 4:
        return 0.0
    q = statistics.quantiles(ts, n=4)
    return (q[2] - q[0]) / statistics.median(ts) * 100


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, help="repetitions per workload and implementation")
    ap.add_argument("--only", action="append", default=[],
                    help="run these workloads only (repeat or comma-separate)")
    ap.add_argument("--json", help="save every repetition time here")
    ap.add_argument("--bin", type=Path, default=BENCH_BIN,
                    help=f"bench_cmlx binary for the copy roof (default {BENCH_BIN})")
    args = ap.parse_args()
    only = {w for o in args.only for w in o.split(",") if w}
    unknown = only - {w[0] for w in WORKLOADS}
    if unknown:
        sys.exit(f"unknown workload(s): {', '.join(sorted(unknown))}; "
                 f"known: {', '.join(w[0] for w in WORKLOADS)}")

    impls = import_impls()
    load0 = os.getloadavg()
    print(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} "
          f"({os.cpu_count()} CPUs)")
    if load0[0] > 0.5 * (os.cpu_count() or 1):
        print("warning: the machine is busy; figures are noisy (compare within this run)")

    results, cpu = {}, {}
    for name, maker, desc, kind in WORKLOADS:
        if only and name not in only:
            continue
        rounds = args.rounds or DEFAULT_ROUNDS[kind]
        results[name], cpu[name] = run_workload(name, maker, impls, rounds)

    need_bw = any(k == "bandwidth" and n in results for n, _, _, k in WORKLOADS)
    roof = roof_best = np_copy_gbs = None
    roof_notes = []
    if need_bw:
        c = copy_bandwidth_c(args.bin)
        np1, np1_best = copy_bandwidth_numpy(1)
        npn, npn_best = copy_bandwidth_numpy(os.cpu_count() or 1)
        cands, bests = [np1, npn], [np1_best, npn_best]
        roof_notes.append(f"np.copyto 1 thread {np1:.1f} GB/s (best {np1_best:.1f}), "
                          f"{os.cpu_count()} threads {npn:.1f} GB/s (best {npn_best:.1f})")
        if c:
            cands.append(c["gb_s"])
            bests.append(2 * MIB64 / min(c["times_s"]) / 1e9 if c.get("times_s") else c["gb_s"])
            roof_notes.append(f"bench_cmlx copy_bandwidth {c['gb_s']:.1f} GB/s "
                              f"(best {bests[-1]:.1f})")
        else:
            roof_notes.append(f"no {args.bin} (bash scripts/build.sh release): "
                              "roof from NumPy only")
        roof, roof_best = max(cands), max(bests)
        np_copy_gbs = numpy_own_copy()

    add_cmlx = statistics.median(results["add"]["cmlx"]) if "add" in results else None
    add_mlx = (statistics.median(results["add"]["mlx"])
               if "add" in results and "mlx" in results["add"] else None)

    rows = []
    for name, maker, desc, kind in WORKLOADS:
        if name not in results:
            continue
        r = results[name]
        cm = statistics.median(r["cmlx"])
        ml = statistics.median(r["mlx"]) if "mlx" in r else None
        ratio = cm / ml if ml else None
        target, ok = "", None
        if kind == "overhead":
            target = "<= 1 us and <= MLX"
            ok = cm <= 1e-6 and (ml is None or cm <= ml)
        elif kind == "eval":
            target = "<= MLX"
            ok = None if ml is None else cm <= ml
        elif kind == "bandwidth":
            gbs = 2 * MIB64 / cm / 1e9
            pct = gbs / roof * 100 if roof else None
            target = ">= 80% of copy"
            ok = pct is not None and pct >= 80
            best = 2 * MIB64 / min(r["cmlx"]) / 1e9
            extra = (f"{gbs:.1f} GB/s = {pct:.0f}% of copy; best rep {best:.1f} GB/s = "
                     f"{best / roof_best * 100:.0f}% of best copy")
            if ml:
                extra += (f"; MLX {2 * MIB64 / ml / 1e9:.1f} GB/s, best "
                          f"{2 * MIB64 / min(r['mlx']) / 1e9:.1f}")
            if name == "to_numpy":
                extra += (f"; NumPy's own np.array(ndarray) {np_copy_gbs:.1f} GB/s, cmlx "
                          f"{gbs / np_copy_gbs * 100:.0f}% of it")
            desc = f"{desc} [{extra}]"
        zc = ""
        if name in ZC_KIND:
            zc_c = zero_copy(impls["cmlx"], ZC_KIND[name])
            zc_m = zero_copy(impls["mlx"], ZC_KIND[name]) if "mlx" in impls else None
            zc = f"zero-copy: cmlx {'yes' if zc_c else 'no'}"
            if "mlx" in impls:
                zc += f", MLX {'yes' if zc_m else 'no'}"
            if kind == "zerocopy":
                target = "zero-copy"
                ok = bool(zc_c)
        noise = f"spread {spread(r['cmlx']):.0f}%"
        if "mlx" in r:
            noise += f"/{spread(r['mlx']):.0f}%"
        if kind in ("overhead", "context", "eval"):
            cc = statistics.median(cpu[name]["cmlx"])
            noise += f"; CPU time cmlx {fmt_time(cc)}"
            if "mlx" in cpu[name]:
                noise += f", MLX {fmt_time(statistics.median(cpu[name]['mlx']))}"
        rows.append([name, fmt_time(cm), fmt_time(ml), f"{ratio:.2f}" if ratio else "-",
                     target or "-", "-" if ok is None else ("PASS" if ok else "MISS"),
                     "; ".join(x for x in (desc, zc, noise) if x)])

    head = ["workload", "cmlx median", "MLX median", "ratio", "target", "result", "notes"]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *[row[:-1] + [""] for row in rows])]
    def line(cells):
        return "  ".join(str(c).ljust(w) for c, w in zip(cells[:-1], widths[:-1])) + "  " + cells[-1]
    print()
    print(line(head))
    print(line(["-" * w for w in widths[:-1]] + ["-----"]))
    for row in rows:
        print(line(row))
    print()
    print("ratio: cmlx median / MLX median (below 1: cmlx is faster); per-op rows are wall time "
          "per call; spread: interquartile range / median, cmlx/MLX; CPU time: median process "
          "CPU time per call (all threads), which time-slicing on a busy machine does not inflate")
    if "eval_add" in results and add_cmlx:
        ev_c = statistics.median(results["eval_add"]["cmlx"])
        msg = f"eval_add minus graph building (add row): cmlx {fmt_time(ev_c - add_cmlx)}"
        if add_mlx and "mlx" in results["eval_add"]:
            msg += f", MLX {fmt_time(statistics.median(results['eval_add']['mlx']) - add_mlx)}"
        print(msg)
    if roof:
        print(f"copy bandwidth (roof, read + written): {roof:.1f} GB/s median, "
              f"{roof_best:.1f} GB/s best; from " + "; ".join(roof_notes))
    load1 = os.getloadavg()
    print(f"load average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"loadavg": [load0, load1], "roof_gb_s": roof,
                       "times_s": results, "cpu_s": cpu}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
